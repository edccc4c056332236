package org.postern.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postern.bus.ClientTlsCheck;
import org.postern.bus.Decision;
import org.postern.bus.RelayCheck;
import org.postern.bus.SessionCheck;
import org.postern.config.ConfigLoader;
import org.postern.config.PolicyConfig;
import org.postern.smtp.Path;
import org.postern.smtp.Verify;

class PolicyEngineTest {

  static PolicyEngine rules(String access, String... sets) throws Exception {
    PolicyConfig cfg = ConfigLoader.load(null, List.of(sets)).policy();
    return new PolicyEngine(cfg, PolicyModel.compile(List.of(new PolicyFile(PolicyFile.Kind.ACCESS_MAP, "access",
        access))));
  }

  static RelayCheck rcpt(String ip, String user, String to) {
    return new RelayCheck(ip, null, "client.test", null, user, Path.parseMailbox("a@example.org"), Path.parseMailbox(to));
  }

  @Test
  void neverAnOpenRelay() throws Exception {
    PolicyEngine r = rules("", "policy.trusted_networks=10.0.0.0/8", "policy.relay_domains=example.net, .example.com");
    assertEquals(Decision.ACCEPT, r.relay(rcpt("10.1.2.3", null, "x@anywhere.test")).decision());
    assertEquals(Decision.ACCEPT, r.relay(rcpt("192.0.2.1", null, "x@example.net")).decision());
    assertEquals(Decision.ACCEPT, r.relay(rcpt("192.0.2.1", null, "x@a.b.example.com")).decision());
    var denied = r.relay(rcpt("192.0.2.1", null, "x@example.com"));
    assertEquals(Decision.REJECT, denied.decision());
    assertEquals("554 5.7.1 <x@example.com>: Relay access denied", denied.reply().toString());
    assertEquals("default:no-open-relay", denied.rule());
  }

  @Test
  void authenticatedClientsRelayUnlessDisabled() throws Exception {
    assertEquals(Decision.ACCEPT, rules("", "policy.trusted_networks=10.0.0.0/8")
        .relay(rcpt("192.0.2.1", "alice", "x@anywhere.test")).decision());
    assertEquals(Decision.REJECT, rules("", "policy.trusted_networks=10.0.0.0/8", "policy.relay_authenticated=no")
        .relay(rcpt("192.0.2.1", "alice", "x@anywhere.test")).decision());
  }

  @Test
  void tlsRequiredNetworksAndTlsCltEntriesRequireStartTls() throws Exception {
    PolicyEngine r = rules("TLS_Clt:198.51.100 VERIFY:128\n", "policy.tls_required_networks=192.0.2.0/24");
    assertTrue(r.session(new SessionCheck("192.0.2.9", null, false)).requireTls());
    var clt = r.session(new SessionCheck("198.51.100.7", null, false));
    assertTrue(clt.requireTls());
    assertEquals("access:1 TLS_Clt:198.51.100 VERIFY:128", clt.rule());
    assertTrue(!r.session(new SessionCheck("203.0.113.1", null, false)).requireTls());
  }

  @Test
  void clientTlsFollowsTheMostSpecificEntry() throws Exception {
    PolicyEngine r = rules("TLS_Clt:198.51.100 ENCR:128\nTLS_Clt:198.51.100.7 PERM+VERIFY:256\n");
    var weak = TlsRequirementTest.tls(Verify.OK, 128);
    var v = r.clientTls(new ClientTlsCheck("198.51.100.7", null, weak));
    assertEquals(Decision.REJECT, v.decision());
    assertEquals("503 5.7.0 encryption too weak 128 less than 256", v.reply().toString());
    assertEquals("access:2 TLS_Clt:198.51.100.7 PERM+VERIFY:256", v.rule());
    assertEquals(Decision.ACCEPT, r.clientTls(new ClientTlsCheck("198.51.100.8", null, weak)).decision());
    assertEquals(Decision.ACCEPT, r.clientTls(new ClientTlsCheck("203.0.113.1", null, weak)).decision());
  }

  @Test
  void accessMapErrorsNameFileAndLine() {
    PolicyFileException e = org.junit.jupiter.api.Assertions.assertThrows(PolicyFileException.class,
        () -> PolicyModel.compile(List.of(new PolicyFile(PolicyFile.Kind.ACCESS_MAP, "/etc/postern/access",
            "# comment\nTLS_Clt:10.1 ENCR:lots\nTLS_Clt:host_ex@mple VERIFY\n"
            + "Connect:10.1 MAYBE\njustonefield\nSpam:spammer.test FRIEND\nTLS_Clt:10.2 VERIFY\nTLS_Clt:10.2 ENCR:128\n"
            + "From:spammer.test RELAY\n"))));
    assertEquals(List.of(
        "/etc/postern/access:2: bad number of bits 'lots' in 'ENCR:lots'",
        "/etc/postern/access:3: expected a host name, domain, IP address or network, got 'host_ex@mple'",
        "/etc/postern/access:4: Connect: expects OK|RELAY|REJECT, got 'MAYBE'",
        "/etc/postern/access:5: expected 'key value', got 'justonefield'",
        "/etc/postern/access:6: unknown entry 'Spam:' (entries: TLS_Srv:, TLS_Clt:, TLS_Rcpt:, Try_TLS:, CERTISSUER:,"
            + " CERTSUBJECT:, Connect:, Srv_Features:, To:, From:)",
        "/etc/postern/access:8: '10.2' is already given at /etc/postern/access:7",
        "/etc/postern/access:9: From: expects OK|REJECT, got 'RELAY'"), e.problems());
  }
}
