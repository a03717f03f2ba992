// Package chart draws the pictures of the p2p overlay: the degree
// distribution with its fitted power law, the overlay itself, and how the
// overlay holds up when peers fail at random or hubs are attacked.
//
// It is kept apart from package p2p so that a program that only runs seeds
// and peers does not carry a plotting stack; p2p computes ([Overlay],
// DegreeDistribution, DegreeCCDF, PowerLawMLE, PowerLawKS, [Robustness]) and
// this package draws.
//
// Every function returns a [Figure]: one or more panels side by side and a
// legend in a strip beneath them, so the legend never covers data. The
// Figure is the plot model (titles, axis labels, tick markers, legend
// entries, series per panel), so that a test checks what a picture says
// without reading pixels; its Save method writes it as PNG or SVG, by the
// file's extension.
//
// # The degree distribution
//
// [Degrees] draws the two views that Clauset, Shalizi and Newman (2009)
// recommend for a power law, on log-log axes with labelled decades and
// minor ticks:
//
//   - left, the probability mass P(k): each degree as a hollow point, and
//     the same data in logarithmic bins ([1,2), [2,4), [4,8), ...) averaged
//     per degree, which keeps the sparse tail from lying as a floor of
//     single peers at 1/n;
//   - right, the complementary cumulative distribution P(K ≥ k), which
//     needs no binning and whose slope is 1−α.
//
// Both carry the fitted power law: α by the discrete maximum-likelihood
// approximation α = 1 + n / Σ ln(k_i / (k_min − ½)) ([p2p.PowerLawMLE]),
// with the Kolmogorov–Smirnov distance between the data and the fit
// ([p2p.PowerLawKS]) as the goodness of fit, both named in the legend.
//
// # References
//
//   - A. Clauset, C. R. Shalizi, M. E. J. Newman. Power-law distributions in
//     empirical data. SIAM Review 51, 661–703 (2009).
//   - M. E. J. Newman. Power laws, Pareto distributions and Zipf's law.
//     Contemporary Physics 46, 323–351 (2005): logarithmic binning and the
//     cumulative distribution.
//   - P. Eades. A heuristic for graph drawing. Congressus Numerantium 42,
//     149–160 (1984): the force-directed layout of [Overlay].
package chart
