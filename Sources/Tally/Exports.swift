// `import Tally` gives the whole library: the store, its data model, queries and documents.
@_exported import TallyStorage
@_exported import TallyQuery
@_exported import TallySoda
