package chart

import (
	"github.com/netlab-go/netlab/internal/plotkit"
	"gonum.org/v1/plot/vg"
)

// Figure is a picture of panels side by side under one title, with one
// legend in a strip beneath them: [plotkit.Figure], which every netlab
// chart package shares. Its fields are the plot model that its Save draws.
type Figure = plotkit.Figure

func newFigure(title string, w, h vg.Length) *Figure { return plotkit.NewFigure(title, w, h) }
