package org.postern.outbound;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postern.config.HostPort;

/**
 * DNS queries whose answers say whether DNSSEC validated them: the AD bit of a validating
 * resolver on loopback, the way Postfix's {@code smtp_dns_support_level = dnssec} trusts it. The
 * node does not validate itself: a local unbound does it better, keeps the root trust anchor up to
 * date (RFC 5011) and caches for every program on the host, and a loopback path cannot be tampered
 * with from the network. That is why {@code outbound.dns_support_level = dnssec} accepts loopback
 * servers only.
 *
 * <p>Vert.x's DNS client hides the header flags, so this asks over UDP itself (one socket per
 * query, so the source port is as random as the ID). A validating resolver answers SERVFAIL for
 * a bogus answer; that, a timeout, a truncated or malformed answer, all fail the future: the caller
 * defers, and never takes a failed lookup for "no DNSSEC". Answers (negative ones too) are cached
 * for their TTL, at most {@link #MAX_TTL}; the cache belongs to the verticle's event loop.
 */
final class DnssecResolver {

  /** The longest an answer is kept, whatever its TTL says. */
  static final Duration MAX_TTL = Duration.ofHours(1);
  /** Negative answers without an SOA to take a TTL from are kept this long. */
  static final Duration NEGATIVE_TTL = Duration.ofMinutes(1);
  static final Duration QUERY_TIMEOUT = Duration.ofSeconds(5);
  static final int CACHE_ENTRIES = 10_000;

  /**
   * One answer.
   *
   * @param exists false for NXDOMAIN
   * @param secure whether the resolver validated it (AD)
   * @param records the answer records of the type asked for
   * @param cnames the answer's CNAME records, in order
   */
  record Answer(boolean exists, boolean secure, List<DnsMessage.Record> records, List<DnsMessage.Record> cnames) {}

  private record Cached(Answer answer, long expires) {}

  private final Vertx vertx;
  private final List<HostPort> servers;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Cached> cache = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
      return size() > CACHE_ENTRIES;
    }
  };

  DnssecResolver(Vertx vertx, List<HostPort> servers) {
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("DNSSEC needs configured validating resolvers");
    }
    this.vertx = vertx;
    this.servers = List.copyOf(servers);
  }

  /** The records of {@code type} at {@code name}, with the resolver's DNSSEC verdict. */
  Future<Answer> query(String name, int type) {
    String key = type + "/" + name.toLowerCase(java.util.Locale.ROOT);
    Cached hit = cache.get(key);
    long now = System.nanoTime();
    if (hit != null && hit.expires() - now > 0) {
      return Future.succeededFuture(hit.answer());
    }
    cache.remove(key);
    return ask(name, type, 0).map(response -> {
      Answer answer = toAnswer(response, type);
      cache.put(key, new Cached(answer, System.nanoTime() + ttl(response, answer).toNanos()));
      return answer;
    });
  }

  /** Each server in turn; a SERVFAIL or a timeout from one is asked of the next (a second try with one). */
  private Future<DnsMessage.Response> ask(String name, int type, int attempt) {
    HostPort server = servers.get(attempt % servers.size());
    return once(server, name, type).compose(r -> r.rcode() == DnsMessage.RCODE_NOERROR
        || r.rcode() == DnsMessage.RCODE_NXDOMAIN
        ? Future.succeededFuture(r)
        : Future.failedFuture(new IllegalStateException(server.host() + " answered " + rcodeName(r.rcode())
            + (r.rcode() == DnsMessage.RCODE_SERVFAIL ? " (DNSSEC validation failed, or no answer)" : ""))))
        .recover(t -> attempt + 1 < Math.max(2, servers.size())
            ? ask(name, type, attempt + 1)
            : Future.failedFuture(new IllegalStateException("DNSSEC lookup of " + name + " " + typeName(type)
                + " failed: " + t.getMessage())));
  }

  private Future<DnsMessage.Response> once(HostPort server, String name, int type) {
    boolean v6 = server.host().indexOf(':') >= 0;
    DatagramSocket socket = vertx.createDatagramSocket(new DatagramSocketOptions().setIpV6(v6));
    Promise<DnsMessage.Response> answered = Promise.promise();
    int id = random.nextInt(0x10000);
    socket.handler(packet -> {
      if (packet.sender().port() != server.port()) {
        return;
      }
      try {
        DnsMessage.Response r = DnsMessage.parse(packet.data().getBytes());
        if (r.id() != id) {
          return;
        }
        if (r.truncated()) {
          answered.tryFail(new IllegalStateException("truncated answer from " + server.host()));
        } else {
          answered.tryComplete(r);
        }
      } catch (IllegalArgumentException e) {
        answered.tryFail(new IllegalStateException("malformed answer from " + server.host() + ": " + e.getMessage()));
      }
    });
    long timer = vertx.setTimer(QUERY_TIMEOUT.toMillis(),
        t -> answered.tryFail(new IllegalStateException("no answer from " + server.host() + " within "
            + QUERY_TIMEOUT.toSeconds() + "s")));
    socket.listen(0, v6 ? "::1" : "127.0.0.1")
        .compose(s -> s.send(Buffer.buffer(DnsMessage.query(id, name, type)), server.port(), server.host()))
        .onFailure(answered::tryFail);
    return answered.future().onComplete(ar -> {
      vertx.cancelTimer(timer);
      socket.close();
    });
  }

  private static Answer toAnswer(DnsMessage.Response r, int type) {
    return new Answer(r.rcode() != DnsMessage.RCODE_NXDOMAIN, r.authenticated(),
        r.answers().stream().filter(rr -> rr.type() == type).toList(),
        r.answers().stream().filter(rr -> rr.type() == DnsMessage.TYPE_CNAME).toList());
  }

  /** The smallest TTL of the answer; for a negative one, the SOA's (RFC 2308 §5); at most {@link #MAX_TTL}. */
  private static Duration ttl(DnsMessage.Response r, Answer a) {
    long seconds = Long.MAX_VALUE;
    for (DnsMessage.Record rr : a.records()) {
      seconds = Math.min(seconds, rr.ttl());
    }
    if (a.records().isEmpty()) {
      seconds = NEGATIVE_TTL.toSeconds();
      for (DnsMessage.Record rr : r.authority()) {
        if (rr.type() == DnsMessage.TYPE_SOA && rr.rdata().length >= 4) {
          byte[] d = rr.rdata();
          long minimum = (d[d.length - 4] & 0xFFL) << 24 | (d[d.length - 3] & 0xFFL) << 16
              | (d[d.length - 2] & 0xFFL) << 8 | d[d.length - 1] & 0xFFL;
          seconds = Math.min(rr.ttl(), minimum);
        }
      }
    }
    return Duration.ofSeconds(Math.min(seconds, MAX_TTL.toSeconds()));
  }

  static String typeName(int type) {
    return switch (type) {
      case DnsMessage.TYPE_A -> "A";
      case DnsMessage.TYPE_AAAA -> "AAAA";
      case DnsMessage.TYPE_MX -> "MX";
      case DnsMessage.TYPE_TLSA -> "TLSA";
      default -> "type " + type;
    };
  }

  private static String rcodeName(int rcode) {
    return switch (rcode) {
      case DnsMessage.RCODE_SERVFAIL -> "SERVFAIL";
      case 5 -> "REFUSED";
      default -> "RCODE " + rcode;
    };
  }
}
