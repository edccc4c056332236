package org.postern.outbound;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;
import org.postern.config.IpLiterals;
import org.postern.smtp.TlsLevel;

/**
 * Turns the levels {@code dane} and {@code dane-only} into what one next-hop address gets, before
 * connecting (RFC 7672 §2.2): DANE when the MX records that named the host (or, for a host named
 * without MX, its address records) and the host's TLSA records at {@code _PORT._tcp.HOST} are
 * DNSSEC-secure and some TLSA record is usable; otherwise what the level falls back to. Every
 * other level passes through untouched. The TLSA check of the certificate itself is
 * {@link TlsaMatch}'s, after the handshake.
 *
 * <table>
 *   <caption>What each DNS outcome makes of the two levels</caption>
 *   <tr><th>DNS</th><th>dane</th><th>dane-only</th></tr>
 *   <tr><td>MX (or host) insecure, or DNSSEC off</td><td>may</td><td>defer 4.7.5</td></tr>
 *   <tr><td>no TLSA records, or insecure ones</td><td>may</td><td>defer 4.7.5</td></tr>
 *   <tr><td>TLSA records, none usable</td><td>encrypt (RFC 7672 §2.2)</td><td>defer 4.7.5</td></tr>
 *   <tr><td>usable TLSA records</td><td>dane: TLS that a record must authenticate</td><td>the same</td></tr>
 *   <tr><td>any lookup failed, or bogus (SERVFAIL)</td><td>defer 4.7.5</td><td>defer 4.7.5</td></tr>
 * </table>
 * A deferral here is a {@link TargetFailure}: another MX host may still do.
 */
final class Dane {

  private static final Logger LOG = Logger.getLogger(OutboundVerticle.LOGGER);

  /**
   * The level an address gets, and the usable TLSA records when it is DANE.
   *
   * @param tlsa the usable records; non-empty exactly when DANE authenticates the session
   * @param names the names a DANE-TA certificate may carry: the MX host name, and the TLSA base
   *     domain when a secure CNAME led there (RFC 7672 §3.2.2)
   */
  record Plan(TlsLevel level, List<Tlsa> tlsa, List<String> names) {
    Plan(TlsLevel level) {
      this(level, List.of(), List.of());
    }

    boolean authenticated() {
      return !tlsa.isEmpty();
    }
  }

  /** Null when outbound.dns_support_level is not dnssec. */
  private final DnssecResolver dns;

  Dane(DnssecResolver dns) {
    this.dns = dns;
  }

  /**
   * @param nexthop the domain whose MX records were looked up (the recipient domain, or the
   *     transport table's host)
   */
  Future<Plan> plan(TlsLevel requested, String queueId, String nexthop, Target target) {
    if (requested != TlsLevel.DANE && requested != TlsLevel.DANE_ONLY) {
      return Future.succeededFuture(new Plan(requested));
    }
    if (dns == null) {
      return without(requested, queueId, target, "DNSSEC is off (outbound.dns_support_level is not dnssec)");
    }
    if (IpLiterals.isLiteral(target.host())) {
      return without(requested, queueId, target, "the next hop is an address, with no name to look TLSA records up");
    }
    String host = bare(target.host());
    return secureHost(bare(nexthop), host).compose(secure -> {
      if (secure != null) {
        return without(requested, queueId, target, secure);
      }
      return tlsa(host, target.port()).compose(found -> {
        String base = found.owner();
        DnssecResolver.Answer answer = found.answer();
        if (answer.records().isEmpty()) {
          return without(requested, queueId, target, "no TLSA records at " + base);
        }
        if (!answer.secure()) {
          return without(requested, queueId, target, "the TLSA records at " + base + " are not DNSSEC-signed");
        }
        List<Tlsa> usable = new ArrayList<>();
        for (DnsMessage.Record rr : answer.records()) {
          Tlsa t = Tlsa.parse(rr.rdata());
          if (t != null && t.usable()) {
            usable.add(t);
          }
        }
        if (usable.isEmpty()) {
          if (requested == TlsLevel.DANE_ONLY) {
            return defer(target, "no usable TLSA records at " + base + " (level dane-only)");
          }
          LOG.info(queueId + ": host " + target.relay() + ": TLSA records at " + base + " are all unusable;"
              + " mandatory unauthenticated TLS (encrypt)");
          return Future.succeededFuture(new Plan(TlsLevel.ENCRYPT));
        }
        return Future.succeededFuture(new Plan(TlsLevel.DANE, List.copyOf(usable), found.names()));
      });
    }).recover(t -> t instanceof ReplyFailure ? Future.failedFuture(t) : defer(target, Replies.reason(t)));
  }

  /** TLSA records found at {@code owner}, and the names a DANE-TA certificate may carry. */
  private record Found(String owner, DnssecResolver.Answer answer, List<String> names) {}

  /**
   * The TLSA records of {@code host}: when its address records are reached through a secure CNAME
   * chain, those of the chain's end first (the TLSA base domain, RFC 7672 §2.2.2), else its own.
   */
  private Future<Found> tlsa(String host, int port) {
    return dns.query(host, DnsMessage.TYPE_A).compose(a -> {
      String own = "_" + port + "._tcp." + host;
      if (a.cnames().isEmpty() || !a.secure()) {
        return dns.query(own, DnsMessage.TYPE_TLSA).map(t -> new Found(own, t, List.of(host)));
      }
      String expanded = bare(a.cnames().get(a.cnames().size() - 1).target());
      String base = "_" + port + "._tcp." + expanded;
      return dns.query(base, DnsMessage.TYPE_TLSA).compose(t -> !t.records().isEmpty()
          ? Future.succeededFuture(new Found(base, t, List.of(host, expanded)))
          : dns.query(own, DnsMessage.TYPE_TLSA).map(o -> new Found(own, o, List.of(host))));
    });
  }

  /**
   * Null when DANE applies to {@code host}: a secure MX RRset of {@code nexthop} names it, or no MX
   * names it and its own address records are secure (a transport route's host, an implicit MX).
   * Otherwise why not. Fails when a lookup fails.
   */
  private Future<String> secureHost(String nexthop, String host) {
    return dns.query(nexthop, DnsMessage.TYPE_MX).compose(mx -> {
      boolean named = mx.records().stream().anyMatch(rr -> bare(rr.target()).equals(host));
      if (named) {
        return Future.succeededFuture(mx.secure() ? null : "the MX records of " + nexthop + " are not DNSSEC-signed");
      }
      if (!mx.records().isEmpty() && !mx.secure()) {
        return Future.succeededFuture("the MX records of " + nexthop + " are not DNSSEC-signed");
      }
      return dns.query(host, DnsMessage.TYPE_A).map(a -> a.secure() ? null
          : "the address records of " + host + " are not DNSSEC-signed");
    });
  }

  private static Future<Plan> without(TlsLevel requested, String queueId, Target target, String why) {
    if (requested == TlsLevel.DANE_ONLY) {
      return defer(target, why + " (level dane-only)");
    }
    LOG.info(queueId + ": host " + target.relay() + ": no DANE: " + why + "; level may");
    return Future.succeededFuture(new Plan(TlsLevel.MAY));
  }

  private static Future<Plan> defer(Target target, String why) {
    return Future.failedFuture(new TargetFailure(Replies.ours(451, "4.7.5",
        "DANE for host " + target.relay() + " not possible: " + why), target.relay()));
  }

  private static String bare(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }
}
