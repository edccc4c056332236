package org.postern.outbound;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.postern.config.IpLiterals;
import org.postern.config.NextHop;
import org.postern.config.TransportTable;

/**
 * Finds the ordered next-hop addresses for a domain, as Postfix does: a transport-table route
 * first ({@code [host]:port} connects to that host, {@code host:port} looks up its MX records),
 * otherwise the domain's MX records by preference, otherwise (no MX) the domain's own A and AAAA
 * records (RFC 5321 §5.1's implicit MX). Host names become addresses through {@link Dns}; the
 * system's resolver (/etc/hosts) serves only {@code [host]} routes, and on a worker thread.
 */
final class Router {

  /**
   * Addresses tried per delivery. Every dead address costs a connect timeout, and the queue
   * retries later anyway (Postfix stops at 5 by default; a few more cover dual-stack hosts).
   */
  static final int MAX_TARGETS = 10;

  static final int SMTP_PORT = 25;

  private final TransportTable transport;
  private final Dns dns;
  private final Random random;

  Router(TransportTable transport, Dns dns, Random random) {
    this.transport = transport;
    this.dns = dns;
    this.random = random;
  }

  /**
   * The addresses to try, best first. Fails with a {@link DeliveryFailure} whose reply says why
   * there are none: 5xx for a domain that does not exist or accepts no mail (null MX), 4xx for a
   * lookup that failed or found no address.
   */
  Future<List<Target>> route(String domain) {
    Optional<NextHop> hop = transport.lookup(domain);
    if (hop.isPresent() && !hop.get().mxLookup()) {
      NextHop h = hop.get();
      return hostAddresses(h.host(), h.port()).compose(targets -> nonEmpty(targets, h.host()));
    }
    if (hop.isPresent()) {
      return viaMx(hop.get().host(), hop.get().port(), false);
    }
    return viaMx(domain, SMTP_PORT, true);
  }

  /**
   * Postfix's next-hop domain for {@code domain}: the host a transport route names, else the
   * domain itself. Level secure's {@code nexthop} and {@code dot-nexthop} refer to it.
   */
  String nexthop(String domain) {
    return transport.lookup(domain).map(NextHop::host).map(Router::stripBrackets).orElse(domain);
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /**
   * MX records by preference, lowest first; records of equal preference in random order, so that
   * load spreads over them as RFC 5321 §5.1 asks.
   */
  static List<Mx> order(List<Mx> records, Random random) {
    List<Mx> shuffled = new ArrayList<>(records);
    Collections.shuffle(shuffled, random);
    // List.sort is stable: equal preferences keep their shuffled order.
    shuffled.sort(Comparator.comparingInt(Mx::preference));
    return shuffled;
  }

  /** RFC 7505: a single MX of "." says the domain accepts no mail. */
  static boolean isNullMx(List<Mx> records) {
    if (records.size() != 1) {
      return false;
    }
    String host = records.get(0).host();
    return host == null || host.isEmpty() || host.equals(".");
  }

  private Future<List<Target>> viaMx(String name, int port, boolean recipientDomain) {
    return dns.mx(name).transform(ar -> {
      if (ar.failed()) {
        if (recipientDomain && Dns.isNameError(ar.cause())) {
          return Future.failedFuture(new DeliveryFailure(
              Replies.ours(550, "5.4.4", "Host or domain name not found: " + name), "none"));
        }
        return Future.failedFuture(new DeliveryFailure(
            Replies.ours(451, "4.4.3", "MX lookup for " + name + " failed: " + Replies.reason(ar.cause())), "none"));
      }
      List<Mx> records = ar.result();
      if (isNullMx(records)) {
        return Future.failedFuture(new DeliveryFailure(
            Replies.ours(556, "5.1.10", "Recipient address rejected: " + name + " accepts no mail (null MX)"),
            "none"));
      }
      if (records.isEmpty()) {
        return addresses(name, port).compose(targets -> nonEmpty(targets, name));
      }
      List<Future<List<Target>>> perHost = new ArrayList<>();
      for (Mx mx : order(records, random)) {
        perHost.add(addresses(stripDot(mx.host()), port));
      }
      // addresses() never fails (a host that does not resolve has none), so one MX host's
      // failure cannot hide the others.
      return Future.all(perHost).compose(done -> {
        List<Target> targets = new ArrayList<>();
        perHost.forEach(f -> targets.addAll(f.result()));
        return nonEmpty(targets, "the MX hosts of " + name);
      });
    });
  }

  /**
   * The addresses of a host a transport route names: an IP literal as it is, a name as the system
   * resolves it ({@link Dns#hostAddresses}: /etc/hosts included).
   */
  private Future<List<Target>> hostAddresses(String host, int port) {
    if (IpLiterals.isLiteral(host)) {
      return addresses(host, port);
    }
    return dns.hostAddresses(host).otherwise(List.of())
        .map(ips -> ips.stream().map(ip -> new Target(host, ip, port)).toList());
  }

  /**
   * The addresses of one host: an IP literal as it is, a name through A then AAAA. A failed
   * lookup counts as no addresses; the caller decides whether none at all is an error.
   */
  private Future<List<Target>> addresses(String host, int port) {
    if (IpLiterals.isLiteral(host)) {
      String ip = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
      return Future.succeededFuture(List.of(new Target(ip, ip, port)));
    }
    Future<List<String>> v4 = dns.a(host).otherwise(List.of());
    Future<List<String>> v6 = dns.aaaa(host).otherwise(List.of());
    return Future.all(v4, v6).map(done -> {
      List<Target> targets = new ArrayList<>();
      for (String ip : v4.result()) {
        targets.add(new Target(host, ip, port));
      }
      for (String ip : v6.result()) {
        targets.add(new Target(host, ip, port));
      }
      return targets;
    });
  }

  private static Future<List<Target>> nonEmpty(List<Target> targets, String what) {
    Set<String> seen = new LinkedHashSet<>();
    List<Target> unique = new ArrayList<>();
    for (Target t : targets) {
      // An address reachable under two MX names is still one server: try it once.
      if (seen.add(t.ip().toLowerCase(Locale.ROOT) + "|" + t.port()) && unique.size() < MAX_TARGETS) {
        unique.add(t);
      }
    }
    if (unique.isEmpty()) {
      return Future.failedFuture(new DeliveryFailure(Replies.ours(451, "4.4.3", "no address found for " + what),
          "none"));
    }
    return Future.succeededFuture(unique);
  }

  private static String stripDot(String host) {
    return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
  }
}
