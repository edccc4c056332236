package org.postern.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * How inbound and outbound ask policy their questions, by where the policy role runs.
 *
 * <ul>
 *   <li>{@link #overBus}: to any policy service on the bus (this node's or, in a cluster, another
 *       node's), each question a request with the policy deadline.
 *   <li>In process ({@code PolicyVerticle.inProcess()}): this node runs the policy role, and the
 *       question is answered on the caller's own event loop by the same rules and the same code.
 *       A new connection per message asks four questions (connect, STARTTLS, MAIL, RCPT) and its
 *       delivery two or three more; over the bus each was two hand-offs between event loops, a
 *       thread wake-up each, and a timer.
 * </ul>
 *
 * Either way a failure (no policy, a timeout, an evaluation that threw) fails the future, and the
 * caller answers with a temporary failure, never an accept.
 */
public interface PolicyQuestions {

  /** At connect: may the client talk to us, must it STARTTLS, and its Srv_Features. */
  Future<SessionPolicy> session(SessionCheck q);

  /** After the handshake: sendmail's tls_client check. */
  Future<TlsVerdict> clientTls(ClientTlsCheck q);

  /** At MAIL: sendmail's check_mail. */
  Future<SenderVerdict> sender(MailCheck q);

  /** At RCPT: may this client relay to this recipient. */
  Future<RelayVerdict> relay(RelayCheck q);

  /** Before a delivery connects anywhere: the destination's TLS level. */
  Future<DestinationTls> destinationTls(DestinationTlsCheck q);

  /** Per address of the next hop: its TLS level and the names its certificate must carry. */
  Future<DestinationTls> targetTls(TargetTlsCheck q);

  /** After each transaction's STARTTLS step: sendmail's tls_server and tls_rcpt checks. */
  Future<ServerTlsVerdict> serverTls(ServerTlsCheck q);

  /** Every question a request on the bus, answered within {@code deadline}. */
  static PolicyQuestions overBus(Vertx vertx, Duration deadline) {
    return new PolicyQuestions() {
      @Override
      public Future<SessionPolicy> session(SessionCheck q) {
        return Contracts.request(vertx, SessionCheck.ADDRESS, q, deadline, SessionPolicy.class);
      }

      @Override
      public Future<TlsVerdict> clientTls(ClientTlsCheck q) {
        return Contracts.request(vertx, ClientTlsCheck.ADDRESS, q, deadline, TlsVerdict.class);
      }

      @Override
      public Future<SenderVerdict> sender(MailCheck q) {
        return Contracts.request(vertx, MailCheck.ADDRESS, q, deadline, SenderVerdict.class);
      }

      @Override
      public Future<RelayVerdict> relay(RelayCheck q) {
        return Contracts.request(vertx, RelayCheck.ADDRESS, q, deadline, RelayVerdict.class);
      }

      @Override
      public Future<DestinationTls> destinationTls(DestinationTlsCheck q) {
        return Contracts.request(vertx, DestinationTlsCheck.ADDRESS, q, deadline, DestinationTls.class);
      }

      @Override
      public Future<DestinationTls> targetTls(TargetTlsCheck q) {
        return Contracts.request(vertx, TargetTlsCheck.ADDRESS, q, deadline, DestinationTls.class);
      }

      @Override
      public Future<ServerTlsVerdict> serverTls(ServerTlsCheck q) {
        return Contracts.request(vertx, ServerTlsCheck.ADDRESS, q, deadline, ServerTlsVerdict.class);
      }
    };
  }
}
