// Package doccheck holds the test that keeps netlab's godoc true: every
// doc link (an exported name in square brackets, such as Config,
// Cluster.Join or memberlist.Config) resolves to a name that exists, no heading carries an RFC number (pkgsite's RFC
// auto-link breaks the heading), and the diagrams and code blocks in doc
// comments are plain ASCII no wider than 100 columns, so they line up in
// every terminal and browser.
//
// It has no API; its test walks the module's packages.
package doccheck
