import NIOCore
import NIOSSL
import Tally

/// The certificate and key `tally serve` answers HTTPS with (`--tls-cert`, `--tls-key`), read and checked before
/// the server starts, and replaceable while it runs (``replace(certificatePEM:privateKeyPEM:)``). TLS 1.2 and 1.3
/// only.
public struct ServerTLS: Sendable {
    /// Where the certificate chain came from (a file path), for messages.
    public let certificateSource: String
    /// Where the private key came from (a file path), for messages.
    public let privateKeySource: String
    /// NIO's server configuration: TLS 1.2 at least, and a callback that gives each handshake the pair in
    /// `credentials`.
    let configuration: TLSConfiguration
    /// The chain and key the next handshake uses; shared by every copy of this value.
    private let credentials: Locked<NIOSSLContextConfigurationOverride>

    /// Parses a PEM certificate chain (the server's certificate first, then any intermediates) and its PEM private
    /// key (RSA or EC, unencrypted), and checks that they make a working server context: text that holds no
    /// certificate or no key, or a key that does not belong to the certificate, is a ``ServeError`` naming the
    /// option and the source.
    public init(certificatePEM: [UInt8], privateKeyPEM: [UInt8], certificateSource: String,
                privateKeySource: String) throws(ServeError) {
        self.certificateSource = certificateSource
        self.privateKeySource = privateKeySource
        let pair = try Self.checkedPair(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM,
                                        certificateSource: certificateSource, privateKeySource: privateKeySource)
        let credentials = Locked(pair)
        var configuration = Self.baseConfiguration(pair)
        // Called once per client hello, on the connection's event loop: it only reads the current pair.
        configuration.sslContextCallback = { _, promise in promise.succeed(credentials.withLock { $0 }) }
        self.credentials = credentials
        self.configuration = configuration
    }

    /// Replaces the certificate chain and key for the handshakes that start from now on (connections already
    /// open keep theirs). The new pair is checked as the initialiser checks it; when it fails, the error says why
    /// (naming `--tls-cert`/`--tls-key` and the sources) and the pair served is unchanged.
    public func replace(certificatePEM: [UInt8], privateKeyPEM: [UInt8]) throws(ServeError) {
        let pair = try Self.checkedPair(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM,
                                        certificateSource: certificateSource, privateKeySource: privateKeySource)
        credentials.withLock { $0 = pair }
    }

    /// The TLS 1.2+ server configuration for one chain and key, without the per-handshake callback.
    private static func baseConfiguration(_ pair: NIOSSLContextConfigurationOverride) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: pair.certificateChain ?? [],
                                                                     privateKey: pair.privateKey!)
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// The parsed chain and key, after checking that a server context can be made from them.
    private static func checkedPair(certificatePEM: [UInt8], privateKeyPEM: [UInt8], certificateSource: String,
                                    privateKeySource: String) throws(ServeError) -> NIOSSLContextConfigurationOverride {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificatePEM)
        } catch {
            let begins = String(decoding: certificatePEM, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----")
            throw ServeError(message: "--tls-cert \(certificateSource): "
                             + (begins ? "a PEM certificate in it is incomplete or damaged (\(error))"
                                       : "no PEM certificate in it (a PEM file starts with -----BEGIN CERTIFICATE-----; \(error))"))
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
        var pair = NIOSSLContextConfigurationOverride()
        pair.certificateChain = chain.map { .certificate($0) }
        pair.privateKey = .privateKey(key)
        do {
            _ = try NIOSSLContext(configuration: baseConfiguration(pair))
        } catch {
            throw ServeError(message: "--tls-key \(privateKeySource) does not go with --tls-cert \(certificateSource) (\(error))")
        }
        return pair
    }
}
