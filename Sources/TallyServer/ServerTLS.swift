import NIOSSL

/// The certificate and key `tally serve` answers HTTPS with (`--tls-cert`, `--tls-key`), read and checked before
/// the server starts. TLS 1.2 and 1.3 only.
public struct ServerTLS: Sendable {
    /// Where the certificate chain came from (a file path), for messages.
    public let certificateSource: String
    /// Where the private key came from (a file path), for messages.
    public let privateKeySource: String
    /// NIO's server configuration: the certificate chain and key below, TLS 1.2 at least.
    let configuration: TLSConfiguration

    /// Parses a PEM certificate chain (the server's certificate first, then any intermediates) and its PEM private
    /// key (RSA or EC, unencrypted), and checks that they make a working server context: text that holds no
    /// certificate or no key, or a key that does not belong to the certificate, is a ``ServeError`` naming the
    /// option and the source.
    public init(certificatePEM: [UInt8], privateKeyPEM: [UInt8], certificateSource: String,
                privateKeySource: String) throws(ServeError) {
        self.certificateSource = certificateSource
        self.privateKeySource = privateKeySource
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificatePEM)
        } catch {
            throw ServeError(message: "--tls-cert \(certificateSource): no PEM certificate in it (a PEM file starts "
                             + "with -----BEGIN CERTIFICATE-----; \(error))")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: privateKeyPEM, format: .pem)
        } catch {
            let encrypted = String(decoding: privateKeyPEM, as: UTF8.self).contains("ENCRYPTED")
            throw ServeError(message: "--tls-key \(privateKeySource): "
                             + (encrypted ? "the key is encrypted; give it unencrypted (e.g. `openssl pkey -in KEY -out PLAIN`)"
                                          : "no PEM private key in it (\(error))"))
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ServeError(message: "--tls-key \(privateKeySource) does not go with --tls-cert \(certificateSource) (\(error))")
        }
        self.configuration = configuration
    }
}
