extension Store {
    /// A value the application stored with ``setMetadata(_:_:)`` (keys are namespaced with `app.`).
    public func metadata(_ key: String) throws(StoreError) -> String? {
        try catalog.db.exclusive { () throws(StoreError) in try catalog.meta("app." + key) }
    }

    /// Stores a small string with the store (e.g. that it is a demo store). Durable when it returns.
    public func setMetadata(_ key: String, _ value: String) throws(StoreError) {
        try writer.withLock { (w: inout WriterState?) throws(StoreError) in
            guard w != nil else { throw readOnlyOrClosed() }
            try catalog.db.exclusive { () throws(StoreError) in try catalog.setMeta("app." + key, value) }
            state.withLock { $0.noteChange() }
        }
    }

    /// Reads a metadata value of the store at `path` without opening it (nil when there is no store).
    public static func metadata(at path: String, _ key: String) -> String? {
        guard Directory.exists(path + "/" + Catalog.fileName),
              let catalog = try? Catalog(directory: path, readOnly: true) else { return nil }
        return try? catalog.meta("app." + key)
    }

    /// True when `path` holds a Tally store.
    public static func exists(at path: String) -> Bool {
        Directory.exists(path + "/" + Catalog.fileName)
    }
}
