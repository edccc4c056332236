package org.postern.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postern.smtp.TlsLevel;

class LiveSettingsTest {

  private static PolicyConfig base() throws ConfigException {
    return ConfigLoader.load(null, List.of("policy.relay_domains=example.org")).policy();
  }

  @Test
  void aPushedSettingReplacesTheNodesValueAndTheOthersStay() throws Exception {
    PolicyConfig c = LiveSettings.apply(base(), "live.conf",
        "# pushed\npolicy.trusted_networks = 127.0.0.0/8, 10.0.0.0/8\npolicy.destination_tls_level = encrypt\n");
    assertEquals(2, c.trustedNetworks().size());
    assertEquals(TlsLevel.ENCRYPT, c.destinationTlsLevel());
    assertEquals(List.of("example.org"), c.relayDomains(), "not in the push: the node's own value");
    assertEquals(base(), LiveSettings.apply(base(), "empty.conf", ""), "an empty text changes nothing");
  }

  @Test
  void keysAPushCannotChangeAndBadValuesAreRefusedWithFileLineAndKey() throws Exception {
    ConfigException e = assertThrows(ConfigException.class, () -> LiveSettings.apply(base(), "live.conf",
        "policy.relay_domains = example.net\ninbound.max_recipients = 500\npolicy.trusted_networks = 300.1.2.3/8\n"
            + "policy.no_such_thing = 1\n"));
    List<String> p = e.problems();
    assertTrue(p.stream().anyMatch(s -> s.startsWith("live.conf:2: inbound.max_recipients: a push cannot change this setting")), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("live.conf:3: policy.trusted_networks: ")), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("live.conf:4: policy.no_such_thing: unknown setting")), p.toString());
    assertFalse(p.stream().anyMatch(s -> s.startsWith("live.conf:1:")), p.toString());
    assertEquals(3, p.size(), p.toString());
  }

  @Test
  void noPushableSettingIsOneTheNodeReadsOnlyAtStart() {
    for (Setting<?> s : LiveSettings.PUSHABLE) {
      assertTrue(s.key().startsWith("policy."), s.key());
      assertFalse(s.key().equals("policy.access_map") || s.key().equals("policy.tls_policy_map")
          || s.key().equals("policy.timeout") || s.key().equals("policy.reload_interval"), s.key());
    }
  }
}
