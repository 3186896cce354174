import NIOSSL

/// The certificate and key `tally serve` answers HTTPS with (`--tls-cert`, `--tls-key`), read and checked before
/// the server starts.
public struct ServerTLS: Sendable {
    /// The PEM files it was read from, for messages.
    public let certificatePath: String
    public let privateKeyPath: String
    /// NIO's server configuration: TLS 1.2 and 1.3, the certificate chain and key below.
    let configuration: TLSConfiguration

    /// Reads a PEM certificate chain (the server's certificate first, then any intermediates) and its PEM private
    /// key, and checks that they make a working server context: a missing or unreadable file, a file that holds
    /// no certificate or no key, or a key that does not belong to the certificate is a ``ServeError`` naming the
    /// option and the file.
    public init(certificatePath: String, privateKeyPath: String) throws(ServeError) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ServeError(message: "--tls-cert \(certificatePath): cannot read a PEM certificate (\(error))")
        }
        guard !chain.isEmpty else {
            throw ServeError(message: "--tls-cert \(certificatePath): no PEM certificate in the file")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw ServeError(message: "--tls-key \(privateKeyPath): cannot read a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ServeError(message: "--tls-key \(privateKeyPath) does not go with --tls-cert \(certificatePath) (\(error))")
        }
        self.configuration = configuration
    }
}
