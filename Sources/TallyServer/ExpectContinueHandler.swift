import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue` when the server is about to read the body, so that a client
/// that waits for it (curl does, when told to or for large bodies) sends the body at once instead of after its own
/// timeout (a second, for curl). A request refused from its headers alone (no key, a wrong Content-Type, too
/// large) gets its final answer instead, and the client never sends the body (RFC 9110 §10.1.1).
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    // Touched on the channel's event loop only.
    private var context: ChannelHandlerContext?
    private var expecting = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            expecting = request.headerFields[.expect]?.lowercased() == "100-continue"
        case .body, .end:
            expecting = false   // the client did not wait
        }
        context.fireChannelRead(data)
    }

    /// Sends `100 Continue` if the current request asked for it and its body has not started.
    func continueIfExpected(on eventLoop: any EventLoop) {
        eventLoop.execute {
            guard self.expecting, let context = self.context else { return }
            self.expecting = false
            context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
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

    /// Lets the client send the body it is holding back for `100 Continue`, if any.
    func continueIfExpected() async {
        guard let handler = try? await channel.pipeline.handler(type: ExpectContinueHandler.self).get() else { return }
        handler.continueIfExpected(on: channel.eventLoop)
    }
}
