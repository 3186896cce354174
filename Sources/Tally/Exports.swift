// `import Tally` gives the whole library: the store, its data model, queries, documents, anomaly detection and charts
// (whose types its API takes and returns: `Store.chartSpec` gives a `ChartSpec`).
@_exported import TallyStorage
@_exported import TallyQuery
@_exported import TallySoda
@_exported import TallyAnalysis
@_exported import TallyCharts
