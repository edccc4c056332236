package org.postern.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postern.smtp.TlsLevel;

class LiveSettingsTest {

  private static PosternConfig base() throws ConfigException {
    return ConfigLoader.load(null, List.of("policy.relay_domains=example.org",
        "inbound.listeners=127.0.0.1:2525 may, 127.0.0.1:2526 none", "inbound.max_connections_per_ip=10"));
  }

  private static List<String> refused(String text) {
    return assertThrows(ConfigException.class, () -> LiveSettings.apply(base(), "live.conf", text)).problems();
  }

  @Test
  void aPushedSettingReplacesTheNodesValueAndTheOthersStay() throws Exception {
    PosternConfig c = LiveSettings.apply(base(), "live.conf",
        "# pushed\npolicy.trusted_networks = 127.0.0.0/8, 10.0.0.0/8\npolicy.destination_tls_level = encrypt\n");
    assertEquals(2, c.policy().trustedNetworks().size());
    assertEquals(TlsLevel.ENCRYPT, c.policy().destinationTlsLevel());
    assertEquals(List.of("example.org"), c.policy().relayDomains(), "not in the push: the node's own value");
    assertEquals(base().inbound().maxConnectionsPerIp(), c.inbound().maxConnectionsPerIp());
    assertEquals(base().inbound().listeners(), c.inbound().listeners());
    assertEquals(c.policy().trustedNetworks(), c.inbound().clientLimitExceptions(),
        "inbound.client_limit_exceptions is $policy.trusted_networks by default, and follows it");
    assertEquals(base(), LiveSettings.apply(base(), "empty.conf", ""), "an empty text changes nothing");
  }

  @Test
  void inboundLimitsAndListenerTlsSettingsAreLive() throws Exception {
    PosternConfig c = LiveSettings.apply(base(), "live.conf", "inbound.max_connections_per_ip = 1\n"
        + "inbound.command_timeout = 20s\ninbound.min_data_rate = 0\ntls.protocols = TLSv1.3\n"
        + "inbound.listeners = 127.0.0.1:2525 required ccert=request, 127.0.0.1:2526 none\n");
    assertEquals(1, c.inbound().maxConnectionsPerIp());
    assertEquals(Duration.ofSeconds(20), c.inbound().commandTimeout());
    assertEquals(0, c.inbound().minDataRate());
    assertEquals(List.of("TLSv1.3"), c.tls().protocols());
    assertEquals(Listener.ClientCerts.REQUEST, c.inbound().listeners().get(0).clientCerts());
    assertEquals(Listener.Tls.REQUIRED, c.inbound().listeners().get(0).tls());
    assertEquals(base().inbound().maxConnections(), c.inbound().maxConnections());
  }

  @Test
  void keysAPushCannotChangeAndBadValuesAreRefusedWithFileLineAndKey() throws Exception {
    List<String> p = refused("policy.relay_domains = example.net\ninbound.event_loops = 2\n"
        + "policy.trusted_networks = 300.1.2.3/8\npolicy.no_such_thing = 1\ninbound.max_connections_per_ip = 0\n"
        + "tls.key = /etc/ssl/key.pem\ntls.protocols = TLSv1.1\nqueue.min_backoff = 1s\n");
    assertTrue(p.contains("live.conf:2: inbound.event_loops: a push cannot change this setting: the listener's"
        + " verticle instances are deployed at start; restart the node to change their number"), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("live.conf:3: policy.trusted_networks: ")), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("live.conf:4: policy.no_such_thing: unknown setting")), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("live.conf:5: inbound.max_connections_per_ip: ")), p.toString());
    assertTrue(p.contains("live.conf:6: tls.key: a push cannot change this setting: it names a file on each node;"
        + " push the certificate and key themselves with --tls-cert CHAIN KEY"), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("live.conf:7: tls.protocols: ")), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("live.conf:8: queue.min_backoff: a push cannot change this setting: "
        + "it is read only at start")), p.toString());
    assertFalse(p.stream().anyMatch(s -> s.startsWith("live.conf:1:")), p.toString());
    assertEquals(7, p.size(), p.toString());
  }

  @Test
  void ticketSettingsAreRefusedAsRestartOnlyAndTheSecretFileNeverTravels() throws Exception {
    assertEquals(List.of("live.conf:1: tls.session_ticket_lifetime: a push cannot change this setting: the ticket keys"
        + " are loaded at start; change it on every node, then restart each",
        "live.conf:2: tls.session_ticket_key_file: a push cannot change this setting: a push never carries the ticket"
        + " secret; copy the file to every node, then restart each",
        "live.conf:3: tls.session_tickets: a push cannot change this setting: the ticket keys are loaded at start;"
        + " change it on every node, then restart each"),
        refused("tls.session_ticket_lifetime = 2h\ntls.session_ticket_key_file = /etc/postern/ticket.key\n"
            + "tls.session_tickets = no\n"));
  }

  @Test
  void aListenerCanChangeItsTlsModeButNotItsAddressNorTurnStarttlsOnOrOff() {
    assertEquals(List.of("live.conf:1: inbound.listeners: a push may change a listener's tls (may or required) and"
        + " ccert, not what is listened on (restart the node for that): listener 2 is 127.0.0.1:2526 none on this"
        + " node, the push names 127.0.0.1:2527 none"),
        refused("inbound.listeners = 127.0.0.1:2525 may, 127.0.0.1:2527 none\n"));
    assertEquals(List.of("live.conf:1: inbound.listeners: a push cannot turn STARTTLS on for 127.0.0.1:2526 none"
        + " (restart the node for that)"), refused("inbound.listeners = 127.0.0.1:2525 may, 127.0.0.1:2526 may\n"));
    assertTrue(refused("inbound.listeners = 127.0.0.1:2525 may\n").get(0).contains("this node has 2 listener(s), the push names 1"));
  }

  @Test
  void noPushableSettingIsOneTheNodeReadsOnlyAtStart() {
    for (Setting<?> s : LiveSettings.PUSHABLE) {
      assertTrue(s.key().startsWith("policy.") || s.key().startsWith("inbound.") || s.key().startsWith("tls."), s.key());
      assertFalse(List.of("policy.access_map", "policy.tls_policy_map", "policy.timeout", "policy.reload_interval",
          "inbound.event_loops", "inbound.auth_users", "tls.engine", "tls.cert_chain", "tls.key", "tls.ca_file",
          "tls.reload_interval").contains(s.key()), s.key());
    }
  }
}
