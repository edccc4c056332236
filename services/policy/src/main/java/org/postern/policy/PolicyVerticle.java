package org.postern.policy;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import java.util.function.Function;
import java.util.logging.Logger;
import java.nio.file.Path;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.Decision;
import org.postern.bus.TlsVerdict;
import org.postern.bus.DestinationTlsCheck;
import org.postern.bus.RelayCheck;
import org.postern.bus.RelayVerdict;
import org.postern.bus.SessionCheck;
import org.postern.config.PolicyConfig;

/** Answers policy questions from the compiled {@link RelayRules}; see the package comment for its trust. */
public final class PolicyVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger("postern.policy");

  private final PolicyConfig config;
  private volatile RelayRules rules;

  public PolicyVerticle(PolicyConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    return loadAccessMap().compose(access -> {
      rules = new RelayRules(config, access);
      return listen();
    });
  }

  private Future<AccessMap> loadAccessMap() {
    if (config.accessMap().isEmpty()) {
      return Future.succeededFuture(AccessMap.empty());
    }
    return vertx.executeBlocking(() -> {
      try {
        return AccessMap.load(Path.of(config.accessMap()));
      } catch (AccessMap.AccessMapException e) {
        throw new IllegalStateException("policy.access_map is unusable:\n" + String.join("\n", e.problems()));
      } catch (java.io.IOException e) {
        throw new IllegalStateException("policy.access_map: cannot read " + config.accessMap() + ": " + e.getMessage());
      }
    });
  }

  private Future<?> listen() {
    var bus = vertx.eventBus();
    return Future.all(
        bus.<SessionCheck>consumer(SessionCheck.ADDRESS, m -> answer(m, SessionCheck.class, q -> rules.session(q)))
            .completion(),
        bus.<RelayCheck>consumer(RelayCheck.ADDRESS, m -> answer(m, RelayCheck.class, this::relay)).completion(),
        bus.<DestinationTlsCheck>consumer(DestinationTlsCheck.ADDRESS,
            m -> answer(m, DestinationTlsCheck.class, q -> rules.destinationTls(q))).completion(),
        bus.<ClientTlsCheck>consumer(ClientTlsCheck.ADDRESS, m -> answer(m, ClientTlsCheck.class, this::clientTls))
            .completion());
  }

  private RelayVerdict relay(RelayCheck q) {
    RelayVerdict v = rules.relay(q);
    if (v.decision() != Decision.ACCEPT) {
      LOG.info(() -> "reject: RCPT from [" + q.clientIp() + "]: " + v.reply() + "; from=" + q.sender()
          + " to=" + q.recipient() + " helo=<" + q.helo() + "> rule=" + v.rule());
    }
    return v;
  }

  private TlsVerdict clientTls(ClientTlsCheck q) {
    TlsVerdict v = rules.clientTls(q);
    if (v.decision() != Decision.ACCEPT) {
      LOG.info(() -> "reject: STARTTLS from [" + q.clientIp() + "]: " + v.reply() + "; version=" + q.tls().version()
          + " verify=" + q.tls().verify() + " bits=" + q.tls().bits() + " rule=" + v.rule());
    }
    return v;
  }

  /**
   * Answers one request. A body of the wrong type is refused with a failure, which the sender
   * treats as a temporary failure: nothing on the bus is trusted to be what it claims.
   */
  private static <Q> void answer(Message<Q> m, Class<Q> type, Function<Q, ?> rule) {
    Object body = m.body();
    if (!type.isInstance(body)) {
      m.fail(400, "expected " + type.getSimpleName());
      return;
    }
    try {
      m.reply(rule.apply(type.cast(body)));
    } catch (RuntimeException e) {
      LOG.warning(() -> "policy evaluation failed: " + e);
      m.fail(500, "policy evaluation failed");
    }
  }
}
