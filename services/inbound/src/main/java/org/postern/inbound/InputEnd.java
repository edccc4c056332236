package org.postern.inbound;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import java.util.logging.Logger;

/**
 * Lets a client's end of input (its FIN: shutdown(SHUT_WR), as Exim does after pipelining the end
 * of DATA and QUIT) leave our sending side open, and reports it.
 *
 * <p>Netty closes a connection whose input ended unless the channel allows half-closure, and
 * Vert.x 5.1 offers no option for it: the replies the client is still owed (the 250 for its
 * message, the 221 for its QUIT) would be lost, and a client that never sees the 250 sends the
 * message again. So this sets Netty's {@code ALLOW_HALF_CLOSURE} on the accepted channel (through
 * Vert.x's internal socket interface) and puts a handler at the head of its pipeline that reports
 * the {@link ChannelInputShutdownEvent} and passes it on. (Not Vert.x's {@code eventHandler}: it
 * would take Vert.x's own shutdown events too.) If this Vert.x version does not expose the channel,
 * {@link #watch} says so and the connection behaves as before (closed on end of input).
 */
final class InputEnd {

  private static final Logger LOG = Logger.getLogger("postern.inbound");

  private InputEnd() {}

  /**
   * Keeps {@code socket} open after its input ends and runs {@code onEnd} (on the connection's
   * event loop) when it does. Call before the client can have sent anything that matters.
   *
   * @return whether half-closure is in force
   */
  static boolean watch(NetSocket socket, Runnable onEnd) {
    Context context = Vertx.currentContext();
    if (!(socket instanceof NetSocketInternal internal) || context == null) {
      return false;
    }
    try {
      var channel = internal.channelHandlerContext().channel();
      channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      channel.pipeline().addFirst("postern-input-end", new ChannelInboundHandlerAdapter() {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
          if (event instanceof ChannelInputShutdownEvent) {
            // After the data read before it: a task queued now runs once that is handled.
            context.runOnContext(v -> onEnd.run());
          }
          ctx.fireUserEventTriggered(event);
        }
      });
      return true;
    } catch (RuntimeException e) {
      LOG.fine(() -> "half-closure unavailable: " + e);
      return false;
    }
  }
}
