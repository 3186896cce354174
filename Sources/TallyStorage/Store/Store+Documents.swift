extension Store {
    /// The original document a batch came from, checked against its checksum; nil when the batch kept none.
    public func document(ofBatch lsn: LSN) throws(StoreError) -> StoredDocument? {
        guard let text = state.withLock({ $0.documentRefs[lsn] }) else { return nil }
        guard let ref = DocumentRef(text) else {
            throw StoreError.corrupt(path: path + "/" + Catalog.fileName, offset: 0, detail: "batch \(lsn) has a malformed document reference \(text)")
        }
        return try DocumentLog.read(ref, directory: path + "/documents")
    }

    /// The earliest stored batch that carries this content identity (a `content_hash` or a `results_hash`), if any.
    public func batch(withContentHash hash: String) -> LSN? {
        state.withLock { $0.contentHashes[hash]?.first }
    }
}
