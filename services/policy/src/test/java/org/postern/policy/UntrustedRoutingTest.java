package org.postern.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.postern.policy.PolicyEngineTest.rcpt;
import static org.postern.policy.PolicyEngineTest.rules;

import org.junit.jupiter.api.Test;
import org.postern.bus.Decision;
import org.postern.bus.RelayVerdict;

/**
 * Postfix's allow_untrusted_routing = no: addresses of a relay domain that route on elsewhere in
 * their local part are refused to clients that may not relay anywhere, since the relay domain's
 * next hop may honour the routing.
 */
class UntrustedRoutingTest {

  static final String[] ROUTED = {
      "user%other.example@relay.example", "other.example!user@relay.example", "\"user@other.example\"@relay.example",
      "\"user%other.example\"@relay.example"};

  @Test
  void anUntrustedClientMayNotRouteThroughARelayDomain() throws Exception {
    PolicyEngine r = rules("", "policy.trusted_networks=10.0.0.0/8", "policy.relay_domains=relay.example");
    for (String to : ROUTED) {
      RelayVerdict v = r.relay(rcpt("192.0.2.1", null, to));
      assertEquals(Decision.REJECT, v.decision(), to);
      assertEquals("554 5.7.1 <" + to + ">: Relay access denied", v.reply().toString());
      assertEquals("config:policy.allow_untrusted_routing=no (sender-specified routing: " + to.substring(0,
          to.lastIndexOf('@')) + ")", v.rule());
    }
    assertEquals(Decision.ACCEPT, r.relay(rcpt("192.0.2.1", null, "user@relay.example")).decision(),
        "a plain address of the relay domain");
  }

  @Test
  void clientsThatMayRelayAnywhereMayRouteAndSoMayAnyoneWhenAllowed() throws Exception {
    PolicyEngine r = rules("Connect:198.51.100.7 RELAY\n", "policy.trusted_networks=10.0.0.0/8",
        "policy.relay_domains=relay.example");
    for (String to : ROUTED) {
      assertEquals("config:policy.trusted_networks 10.0.0.0/8", r.relay(rcpt("10.1.2.3", null, to)).rule(), to);
      assertEquals("config:policy.relay_authenticated (user alice)", r.relay(rcpt("192.0.2.1", "alice", to)).rule());
      assertEquals("access:1 Connect:198.51.100.7 RELAY", r.relay(rcpt("198.51.100.7", null, to)).rule());
    }
    PolicyEngine allowed = rules("", "policy.trusted_networks=10.0.0.0/8", "policy.relay_domains=relay.example",
        "policy.allow_untrusted_routing=yes");
    for (String to : ROUTED) {
      assertEquals("config:policy.relay_domains relay.example", allowed.relay(rcpt("192.0.2.1", null, to)).rule(), to);
    }
  }

  @Test
  void aToEntryDoesNotOpenRoutingEither() throws Exception {
    PolicyEngine r = rules("To:relay.example RELAY\n", "policy.trusted_networks=10.0.0.0/8");
    assertEquals(Decision.REJECT, r.relay(rcpt("192.0.2.1", null, ROUTED[0])).decision());
    assertEquals("access:1 To:relay.example RELAY", r.relay(rcpt("192.0.2.1", null, "user@relay.example")).rule());
    assertEquals("access:1 To:relay.example RELAY", r.relay(rcpt("10.0.0.1", null, ROUTED[0])).rule(),
        "a trusted client keeps the To: rule's name");
  }
}
