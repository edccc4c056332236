package org.postern.outbound;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import org.postern.bus.DeliveryRequest;
import org.postern.bus.DestinationTls;
import org.postern.config.NextHop;
import org.postern.config.TransportTable;
import org.postern.outbound.sts.MtaSts;
import org.postern.outbound.sts.StsFailure;
import org.postern.outbound.sts.StsPolicy;
import org.postern.smtp.TlsLevel;
import org.postern.smtp.Verify;

/**
 * Where MTA-STS (package {@code sts}) meets a delivery: decides whether the recipient domain's
 * policy applies, and makes a {@link StsPlan} of it. It applies to mail routed by the domain's own
 * MX records (no transport entry, or one that only changes the port) whose TLS level no policy
 * entry chose ({@link DestinationTls#byDefault}) and is below {@code dane}.
 */
final class StsGate {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);

  /** Null when outbound.mta_sts is off. */
  private final MtaSts sts;
  private final TransportTable transport;

  StsGate(MtaSts sts, TransportTable transport) {
    this.sts = sts;
    this.transport = transport;
  }

  /** The plan for one delivery; never fails (without a usable policy, {@link StsPlan#NONE}). */
  Future<StsPlan> plan(DeliveryRequest request, DestinationTls decision) {
    if (sts == null || !appliesTo(decision) || !mxRouted(transport, request.domain())) {
      return Future.succeededFuture(StsPlan.NONE);
    }
    return sts.policy(request.domain()).map(found -> found
        .filter(p -> p.mode() != StsPolicy.Mode.NONE || noneLogged(request, p))
        .map(p -> {
          LOG.info(request.queueId() + ": MTA-STS " + p.mode().word() + " for " + request.domain() + ": "
              + p.describe());
          return new StsPlan(sts, request, p);
        })
        .orElse(StsPlan.NONE));
  }

  /**
   * The DANE seam (RFC 8461 §2: DANE wins where it applies). A destination whose decision is
   * DANE-authenticated, or at a stronger level a policy entry set, skips the MTA-STS lookup
   * altogether. DANE's verifier should also skip it per MX host it authenticated by TLSA, and
   * fall back to the plan when it finds no usable TLSA records.
   */
  static boolean daneDecides(DestinationTls decision) {
    return decision.level().atLeast(TlsLevel.DANE);
  }

  /** A policy applies under this decision: a default level (no policy entry) below dane. */
  static boolean appliesTo(DestinationTls decision) {
    return decision.byDefault() && !daneDecides(decision);
  }

  /** The domain's own MX records route it: no transport entry, or one that only sets the port. */
  static boolean mxRouted(TransportTable transport, String domain) {
    Optional<NextHop> hop = transport.lookup(domain);
    return hop.isEmpty() || hop.get().mxLookup() && hop.get().host().equalsIgnoreCase(domain);
  }

  /** How MTA-STS asks DNS: TXT records, and a policy host's addresses (A and AAAA). */
  static MtaSts.Resolver resolver(Dns dns) {
    return new MtaSts.Resolver() {
      @Override
      public Future<List<String>> txt(String name) {
        return dns.txt(name);
      }

      @Override
      public Future<List<String>> addresses(String host) {
        return dns.dnsAddresses(host);
      }
    };
  }

  private static boolean noneLogged(DeliveryRequest request, MtaSts.Applied p) {
    LOG.info(request.queueId() + ": MTA-STS none for " + request.domain() + ": " + p.describe()
        + "; delivering as without a policy");
    return false;
  }

  /** What one delivery does under a policy: which MX hosts, at which level, and what it records. */
  static final class StsPlan {

    static final StsPlan NONE = new StsPlan(null, null, null);

    private final MtaSts sts;
    private final DeliveryRequest request;
    private final MtaSts.Applied policy;

    private StsPlan(MtaSts sts, DeliveryRequest request, MtaSts.Applied policy) {
      this.sts = sts;
      this.request = request;
      this.policy = policy;
    }

    private boolean enforce() {
      return policy != null && policy.mode() == StsPolicy.Mode.ENFORCE;
    }

    private boolean testing() {
      return policy != null && policy.mode() == StsPolicy.Mode.TESTING;
    }

    /**
     * The next hops the policy allows, in order. Enforce drops the MX hosts the policy does not
     * name, and defers with {@code 451 4.7.0} when none is left; testing records them and keeps them.
     */
    Future<List<Target>> targets(List<Target> targets) {
      if (policy == null) {
        return Future.succeededFuture(targets);
      }
      List<Target> matching = targets.stream().filter(t -> policy.matches(t.host())).toList();
      targets.stream().filter(t -> !policy.matches(t.host())).map(Target::host).distinct().forEach(host ->
          sts.record(request.queueId(), failure(host, StsFailure.Result.VALIDATION_FAILURE,
              "MX host " + host + " is not in the policy's mx list")));
      if (!enforce()) {
        return Future.succeededFuture(targets);
      }
      if (matching.isEmpty()) {
        return Future.failedFuture(new DeliveryFailure(Replies.ours(451, "4.7.0", "no MX host of "
            + request.domain() + " matches its MTA-STS policy (id " + policy.id() + ")"), "none"));
      }
      LOG.info(request.queueId() + ": MTA-STS enforce for " + request.domain() + ": matched MX "
          + String.join(", ", matching.stream().map(Target::host).distinct().toList()));
      return Future.succeededFuture(matching);
    }

    /**
     * Enforce: at least level verify with the MX host's name ({@code hostname}), whatever the
     * default or a Try_TLS entry for the address says, so nothing goes in plaintext or to a
     * certificate not valid for the MX name.
     */
    DestinationTls level(DestinationTls answer) {
      if (!enforce() || answer.level().atLeast(TlsLevel.VERIFY)) {
        return answer;
      }
      return new DestinationTls(TlsLevel.VERIFY, "mta-sts:" + request.domain() + " id=" + policy.id()
          + " mode=enforce");
    }

    /** Testing: records what enforce would have refused in this session; it is used all the same. */
    void observe(OpenSession session) {
      if (!testing()) {
        return;
      }
      String host = session.target.host();
      if (session.tls == null) {
        sts.record(request.queueId(), failure(host, StsFailure.Result.STARTTLS_NOT_SUPPORTED,
            "no TLS with " + session.target.relay() + " (verify=" + session.verify + ")"));
      } else if (session.verify != Verify.OK) {
        sts.record(request.queueId(), failure(host, StsFailure.Result.CERTIFICATE_NOT_TRUSTED,
            "certificate of " + session.target.relay() + " not verified (verify=" + session.verify + ")"));
      } else if (!NameMatch.of(TlsLevel.VERIFY, List.of(), host, host).satisfiedBy(session.peer)) {
        sts.record(request.queueId(), failure(host, StsFailure.Result.CERTIFICATE_HOST_MISMATCH,
            "certificate of " + session.target.relay() + " is not valid for " + host));
      }
    }

    /** Enforce: records a next hop refused for its TLS (4.7.x), for TLS reporting. */
    void refused(Target target, TargetFailure f) {
      if (!enforce() || f.reply().enhanced() == null || !f.reply().enhanced().startsWith("4.7.")) {
        return;
      }
      // DeliveryAttempt's replies: 4.7.4 no STARTTLS; 4.7.5 a chain not verified, a name that
      // does not match, or a failed handshake.
      StsFailure.Result result = f.reply().enhanced().equals("4.7.4") ? StsFailure.Result.STARTTLS_NOT_SUPPORTED
          : f.reply().text().contains("does not match") ? StsFailure.Result.CERTIFICATE_HOST_MISMATCH
          : StsFailure.Result.CERTIFICATE_NOT_TRUSTED;
      sts.record(request.queueId(), failure(target.host(), result, f.reply().toString()));
    }

    private StsFailure failure(String host, StsFailure.Result result, String detail) {
      return new StsFailure(request.domain(), policy.id(), policy.mode(), host, result, detail);
    }
  }
}
