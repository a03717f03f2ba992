#!/usr/bin/env python3
"""RabbitMQ tutorial 5 (Topics) clients, written as the tutorial writes them
with pika: emit_log_topic.py and receive_logs_topic.py in one file, with the
broker URL and exchange name as arguments so that a test can run them.

    tutorial5.py emit URL EXCHANGE ROUTING_KEY MESSAGE
    tutorial5.py receive URL EXCHANGE COUNT BINDING_KEY...

Like the tutorial, both declare the exchange with pika's defaults: a topic
exchange that is not durable. receive prints " [*] Waiting for logs" once
its queue is bound, then " [x] KEY:BODY" per message, and exits after COUNT
messages.
"""
import sys

import pika


def channel_for(url, exchange):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.exchange_declare(exchange=exchange, exchange_type='topic')
    return connection, channel


def emit(url, exchange, routing_key, message):
    connection, channel = channel_for(url, exchange)
    channel.basic_publish(exchange=exchange, routing_key=routing_key, body=message)
    print(f" [x] Sent {routing_key}:{message}", flush=True)
    connection.close()


def receive(url, exchange, count, binding_keys):
    connection, channel = channel_for(url, exchange)
    result = channel.queue_declare('', exclusive=True)
    queue_name = result.method.queue
    for binding_key in binding_keys:
        channel.queue_bind(exchange=exchange, queue=queue_name, routing_key=binding_key)
    print(" [*] Waiting for logs", flush=True)
    seen = 0

    def callback(ch, method, properties, body):
        nonlocal seen
        print(f" [x] {method.routing_key}:{body.decode()}", flush=True)
        seen += 1
        if seen >= count:
            ch.stop_consuming()

    channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=True)
    channel.start_consuming()
    connection.close()


if __name__ == '__main__':
    if len(sys.argv) >= 6 and sys.argv[1] == 'emit':
        emit(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif len(sys.argv) >= 6 and sys.argv[1] == 'receive':
        receive(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:])
    else:
        sys.exit(__doc__)
