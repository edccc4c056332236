package org.postern.outbound;

import io.vertx.core.Future;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Logger;
import org.postern.bus.Decision;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.DestinationTls;
import org.postern.bus.PolicyQuestions;
import org.postern.bus.ServerTlsCheck;
import org.postern.bus.ServerTlsVerdict;
import org.postern.bus.TargetTlsCheck;
import org.postern.bus.TlsVerdict;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.TlsLevel;
import org.postern.smtp.Verify;

/**
 * The TLS-policy questions one delivery attempt asks, and what their answers mean for it. Before
 * connecting: the level for this address (try_tls, per-host entries). After the STARTTLS step:
 * whether this server's TLS will do (tls_server) and for which recipients (tls_rcpt). Policy
 * decides; this class only turns answers into failures. No answer within the deadline defers the
 * whole delivery with {@code 451 4.3.0}: without policy, nothing is sent.
 */
final class TlsPolicyGate {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);
  private static final Reply UNAVAILABLE = Replies.ours(451, "4.3.0", "TLS policy unavailable");

  private final PolicyQuestions policy;
  private final DeliveryRequest request;
  private final Target target;
  /** What {@code nexthop} means in the policy's name patterns (see {@link Router#nexthop}). */
  private final String nexthop;

  TlsPolicyGate(PolicyQuestions policy, DeliveryRequest request, Target target, String nexthop) {
    this.policy = policy;
    this.request = request;
    this.target = target;
    this.nexthop = nexthop;
  }

  /**
   * The level for this address, with the certificate names it demands; fails with a
   * {@link DeliveryFailure} when policy does not answer.
   */
  Future<DestinationTls> level() {
    return Future.<Void>succeededFuture()
        .compose(v -> policy.targetTls(new TargetTlsCheck(request.domain(), target.host(), target.ip(), target.port())))
        .map(answer -> {
          LOG.fine(() -> request.queueId() + ": " + target.relay() + " tls level " + answer.level().configName()
              + " rule=" + answer.rule());
          return answer;
        })
        .recover(this::unavailable);
  }

  /**
   * Judges the finished STARTTLS step. A refused session fails: a 4xx with a {@link TargetFailure}
   * (the next address may do better), a 5xx with a {@link DeliveryFailure}. Otherwise the answer
   * is one entry per recipient: null to send it, or the reply it gets without being sent.
   *
   * @param tls the session's facts, or null in plaintext
   * @param verify sendmail's {@code ${verify}} for the session (see {@link OpenSession#verify})
   * @param peer the server's certificate, or null
   */
  Future<Reply[]> judge(TlsFacts tls, Verify verify, X509Certificate peer) {
    return Future.<Void>succeededFuture()
        .compose(v -> policy.serverTls(new ServerTlsCheck(request.domain(), target.host(), target.ip(), target.port(),
            tls, fingerprint(peer), names(peer), request.recipients(), nexthop, verify)))
        .recover(this::unavailable)
        .compose(verdict -> {
          TlsVerdict s = verdict.session();
          if (s.decision() != Decision.ACCEPT) {
            LOG.info(request.queueId() + ": " + target.relay() + " refused by TLS policy: " + s.reply()
                + "; rule=" + s.rule());
            return Future.failedFuture(s.decision() == Decision.REJECT
                ? new DeliveryFailure(s.reply(), target.relay(), tls)
                : new TargetFailure(s.reply(), target.relay(), tls));
          }
          if (verdict.recipients().size() != request.recipients().size()) {
            return unavailable(new IllegalStateException("policy answered for the wrong number of recipients"));
          }
          Reply[] refused = new Reply[request.recipients().size()];
          for (int i = 0; i < refused.length; i++) {
            TlsVerdict r = verdict.recipients().get(i);
            if (r.decision() != Decision.ACCEPT) {
              refused[i] = r.reply();
              String to = request.recipients().get(i).toString();
              LOG.info(request.queueId() + ": to=" + to + " not sent via " + target.relay() + ": " + r.reply()
                  + "; rule=" + r.rule());
            }
          }
          return Future.succeededFuture(refused);
        });
  }

  private <T> Future<T> unavailable(Throwable t) {
    LOG.warning(request.queueId() + ": TLS policy for " + target.relay() + " unavailable: " + Replies.reason(t));
    return Future.failedFuture(new DeliveryFailure(UNAVAILABLE, target.relay()));
  }

  /** SHA-256 of the certificate, upper-case hex, as pinned by {@code fingerprint} policies. */
  static String fingerprint(X509Certificate cert) {
    if (cert == null) {
      return null;
    }
    try {
      return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      return null;
    }
  }

  /** The certificate's DNS names: subjectAltName dNSName entries, else nothing (RFC 6125 §6.4.4 ignores the CN then). */
  static List<String> names(X509Certificate cert) {
    List<String> out = new ArrayList<>();
    if (cert == null) {
      return out;
    }
    try {
      if (cert.getSubjectAlternativeNames() != null) {
        for (List<?> san : cert.getSubjectAlternativeNames()) {
          if (san.size() == 2 && Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String name
              && !name.isEmpty() && name.length() <= 255) {
            out.add(name);
          }
        }
      }
    } catch (CertificateParsingException e) {
      return List.of();
    }
    return out.size() > 1000 ? out.subList(0, 1000) : out;
  }
}
