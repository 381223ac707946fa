/**
 * Pictures of what was learned: weight maps as PNG, spike rasters and loss/accuracy curves as SVG, and an
 * HTML report page that shows them. Drawn with the optional packages pngjs, d3-scale and d3-shape
 * (imported on first use; a call without them throws a StateError saying what to install).
 */
export { weightMapPng } from './weight-map.js'
export type { WeightMapOptions } from './weight-map.js'
export { spikeRasterSvg } from './raster.js'
export type { SpikeRasterOptions } from './raster.js'
export { curvesSvg } from './curves.js'
export type { CurveSeries, CurvesOptions } from './curves.js'
export { writeReport } from './report.js'
export type { ReportOptions, ReportSection, ReportTable } from './report.js'
export { writeTrainingReport } from './training.js'
export type { TrainingEpoch, TrainingReport, TrainingReportFiles } from './training.js'
export { checkPlotPackages, PLOT_PACKAGES } from './deps.js'
export type { PlotValues } from './common.js'
