package org.postern.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.dns.DnsException;
import io.vertx.core.dns.DnsResponseCode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.postern.config.TransportTable;

/**
 * Routing decisions against fixed DNS answers. A real DNS server on loopback comes with a later
 * change; the answers here are what Vert.x's client returns (already-completed futures).
 */
class RouterTest {

  @Test
  void ordersByPreferenceAndShufflesOnlyWithinAPreference() {
    List<Mx> records = List.of(new Mx(20, "c"), new Mx(10, "a1"), new Mx(30, "d"), new Mx(10, "a2"),
        new Mx(10, "a3"));
    Set<List<String>> firstThreeSeen = new HashSet<>();
    for (int seed = 0; seed < 200; seed++) {
      List<Mx> ordered = Router.order(records, new Random(seed));
      assertEquals(List.of(10, 10, 10, 20, 30), ordered.stream().map(Mx::preference).toList());
      assertEquals(Set.of("a1", "a2", "a3"), Set.copyOf(ordered.subList(0, 3).stream().map(Mx::host).toList()));
      assertEquals(List.of("c", "d"), ordered.subList(3, 5).stream().map(Mx::host).toList());
      firstThreeSeen.add(ordered.subList(0, 3).stream().map(Mx::host).toList());
    }
    // All 6 permutations of the equal-preference hosts occur: the order really is random.
    assertEquals(6, firstThreeSeen.size());
  }

  @Test
  void recognisesNullMx() {
    assertTrue(Router.isNullMx(List.of(new Mx(0, "."))));
    assertTrue(Router.isNullMx(List.of(new Mx(0, ""))));
    assertEquals(false, Router.isNullMx(List.of(new Mx(0, "mx.example"))));
    assertEquals(false, Router.isNullMx(List.of()));
  }

  @Test
  void transportBracketsConnectDirectlyWithoutDns() {
    Router r = new Router(TransportTable.parse("*=[127.0.0.1]:2526"), FakeDns.NONE, new Random(1));
    assertEquals(List.of(new Target("127.0.0.1", "127.0.0.1", 2526)), await(r.route("example.net")));
  }

  @Test
  void transportHostNameIsResolvedAThenAaaa() {
    FakeDns dns = new FakeDns(Map.of(), Map.of("relay.example", List.of("192.0.2.7")),
        Map.of("relay.example", List.of("2001:db8::7")));
    Router r = new Router(TransportTable.parse("example.net=[relay.example]:587"), dns, new Random(1));
    assertEquals(List.of(new Target("relay.example", "192.0.2.7", 587), new Target("relay.example", "2001:db8::7", 587)),
        await(r.route("example.net")));
  }

  @Test
  void mxHostsInPreferenceOrderWithTheirAddresses() {
    FakeDns dns = new FakeDns(
        Map.of("example.net", List.of(new Mx(20, "backup.example.net."), new Mx(10, "mx.example.net."))),
        Map.of("mx.example.net", List.of("192.0.2.1"), "backup.example.net", List.of("192.0.2.2")),
        Map.of());
    Router r = new Router(TransportTable.empty(), dns, new Random(1));
    assertEquals(List.of(new Target("mx.example.net", "192.0.2.1", 25), new Target("backup.example.net", "192.0.2.2", 25)),
        await(r.route("example.net")));
  }

  @Test
  void noMxFallsBackToTheDomainsOwnAddress() {
    FakeDns dns = new FakeDns(Map.of("example.net", List.of()), Map.of("example.net", List.of("192.0.2.9")), Map.of());
    Router r = new Router(TransportTable.empty(), dns, new Random(1));
    assertEquals(List.of(new Target("example.net", "192.0.2.9", 25)), await(r.route("example.net")));
  }

  @Test
  void unresolvableMxHostIsSkipped() {
    FakeDns dns = new FakeDns(
        Map.of("example.net", List.of(new Mx(10, "gone.example.net"), new Mx(20, "mx2.example.net"))),
        Map.of("mx2.example.net", List.of("192.0.2.2")), Map.of());
    Router r = new Router(TransportTable.empty(), dns, new Random(1));
    assertEquals(List.of(new Target("mx2.example.net", "192.0.2.2", 25)), await(r.route("example.net")));
  }

  @Test
  void nullMxBouncesNxdomainBouncesNoAddressDefers() {
    Router nullMx = new Router(TransportTable.empty(),
        new FakeDns(Map.of("example.net", List.of(new Mx(0, "."))), Map.of(), Map.of()), new Random(1));
    assertEquals(556, failure(nullMx.route("example.net")).reply().code());

    Router nx = new Router(TransportTable.empty(), FakeDns.NONE, new Random(1));
    DeliveryFailure f = failure(nx.route("nonexistent.example"));
    assertEquals("5.4.4", f.reply().enhanced());

    Router noAddress = new Router(TransportTable.empty(),
        new FakeDns(Map.of("example.net", List.of(new Mx(10, "mx.example.net"))), Map.of(), Map.of()), new Random(1));
    DeliveryFailure g = failure(noAddress.route("example.net"));
    assertEquals(451, g.reply().code());
    assertEquals("4.4.3", g.reply().enhanced());
  }

  private static <T> T await(Future<T> f) {
    assertTrue(f.isComplete(), "fake DNS answers synchronously");
    if (f.failed()) {
      throw new AssertionError("route failed", f.cause());
    }
    return f.result();
  }

  private static DeliveryFailure failure(Future<?> f) {
    assertTrue(f.failed(), "expected a failed route, got " + f.result());
    return assertInstanceOf(DeliveryFailure.class, f.cause());
  }

  /** Answers from maps; a name not in a map does not exist (NXDOMAIN). */
  private record FakeDns(Map<String, List<Mx>> mx, Map<String, List<String>> a, Map<String, List<String>> aaaa)
      implements Dns {

    static final FakeDns NONE = new FakeDns(Map.of(), Map.of(), Map.of());

    @Override
    public Future<List<Mx>> mx(String name) {
      return answer(mx, name);
    }

    @Override
    public Future<List<String>> a(String name) {
      return answer(a, name);
    }

    @Override
    public Future<List<String>> aaaa(String name) {
      return answer(aaaa, name);
    }

    private static <T> Future<List<T>> answer(Map<String, List<T>> m, String name) {
      List<T> v = m.get(name);
      return v == null ? Future.failedFuture(new DnsException(DnsResponseCode.NXDOMAIN)) : Future.succeededFuture(v);
    }
  }
}
