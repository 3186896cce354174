import Hummingbird
import NIOCore
import NIOHTTPTypes

/// The handshake around a request body.
///
/// * Answers `Expect: 100-continue` with `100 Continue` when the server is about to read the body, so that a client
///   that waits for it (curl does, when told to or for large bodies) sends the body at once instead of after its own
///   timeout (a second, for curl). A request refused from its headers alone (no key, a wrong Content-Type, too
///   large) gets its final answer instead, and the client never sends the body (RFC 9110 §10.1.1). The interim
///   answer goes out only while the request that asked for it is the only one unanswered on the connection: with
///   pipelined requests it could not be told apart from the answer to an earlier one, so the client's own timeout
///   sends the body then.
/// * Closes the connection after an answer marked `Connection: close` (the server marks one given before the body
///   was read): the server will not read the rest, a client waiting for `100 Continue` will not send it, and a client
///   that sent it all must not send another request on the connection.
///
/// Everything it keeps is touched on the channel's event loop only, so it is not `Sendable`:
/// ``ConnectionRequestContext/continueIfExpected()`` finds it from the loop.
final class BodyHandshakeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var context: ChannelHandlerContext?
    private var expecting = false
    /// Request heads received and final answers finished, on this connection.
    private var requests = 0, answered = 0
    /// Whether the answer being written closes the connection.
    private var closeAfterAnswer = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            requests += 1
            expecting = request.headerFields[.expect]?.lowercased() == "100-continue"
        case .body, .end:
            expecting = false   // the client did not wait (or sent no body)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            // An answer that says `Connection: close` closes it (Hummingbird would keep reading, even a next request).
            if response.status.kind != .informational {
                closeAfterAnswer = response.headerFields[.connection]?.lowercased() == "close"
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            answered += 1
            guard closeAfterAnswer else { return context.write(data, promise: promise) }
            closeAfterAnswer = false
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)   // completes on the same loop
            written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
            context.writeAndFlush(data, promise: written)
        }
    }

    /// Sends `100 Continue` if the current request asked for it and its body has not started. Called on the
    /// channel's event loop.
    func continueIfExpected() {
        guard expecting, requests - answered == 1, let context else { return }
        expecting = false
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
    }
}

/// Hummingbird's basic request context, keeping the connection's channel (to answer `Expect: 100-continue`).
struct ConnectionRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Lets the client send the body it is holding back for `100 Continue`, if any: on the channel's event loop,
    /// where the handler lives.
    func continueIfExpected() {
        let channel = self.channel
        channel.eventLoop.execute {
            guard let handler = try? channel.pipeline.syncOperations.handler(type: BodyHandshakeHandler.self) else { return }
            handler.continueIfExpected()
        }
    }
}
