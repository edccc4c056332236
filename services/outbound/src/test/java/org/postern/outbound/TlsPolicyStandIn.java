package org.postern.outbound;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.postern.bus.Decision;
import org.postern.bus.DestinationTls;
import org.postern.bus.ServerTlsCheck;
import org.postern.bus.ServerTlsVerdict;
import org.postern.bus.TargetTlsCheck;
import org.postern.bus.TlsVerdict;
import org.postern.smtp.TlsLevel;

/**
 * Answers the per-address TLS questions for tests that are not about TLS policy: every address
 * at {@code level}, every session and recipient accepted. Tests about policy deploy the real
 * policy verticle instead.
 */
final class TlsPolicyStandIn {

  private TlsPolicyStandIn() {}

  static void answer(Vertx vertx, TlsLevel level) throws Exception {
    vertx.eventBus().<TargetTlsCheck>consumer(TargetTlsCheck.ADDRESS,
        m -> m.reply(new DestinationTls(level, "test"))).completion().await(10, TimeUnit.SECONDS);
    vertx.eventBus().<ServerTlsCheck>consumer(ServerTlsCheck.ADDRESS, m -> {
      TlsVerdict ok = new TlsVerdict(Decision.ACCEPT, null, "test");
      m.reply(new ServerTlsVerdict(ok, m.body().recipients().stream().map(r -> ok).toList()));
    }).completion().await(10, TimeUnit.SECONDS);
  }
}
