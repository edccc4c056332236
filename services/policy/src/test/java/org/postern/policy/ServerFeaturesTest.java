package org.postern.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postern.bus.Decision;
import org.postern.bus.SessionCheck;
import org.postern.bus.SessionPolicy;

/** sendmail's {@code Srv_Features:} entries: letters, lookup order, and what a map may not say. */
class ServerFeaturesTest {

  private static SessionPolicy at(PolicyEngine e, String ip, String name) {
    return e.session(new SessionCheck(ip, name, false));
  }

  @Test
  void lettersFollowTheMostSpecificEntryThenTheBareDefault() throws Exception {
    PolicyEngine e = PolicyEngineTest.rules("Srv_Features:192.0.2 S\n"
        + "Srv_Features:192.0.2.7 s V\n"
        + "Srv_Features:broken.example.net SV\n"
        + "Srv_Features: V\n");
    SessionPolicy net = at(e, "192.0.2.9", null);
    assertFalse(net.offerTls());
    assertTrue(net.requestClientCert(), "only S given: v stays the default");
    assertEquals("access:1 Srv_Features:192.0.2 S", net.featuresRule());
    SessionPolicy host = at(e, "192.0.2.7", null);
    assertTrue(host.offerTls());
    assertFalse(host.requestClientCert());
    assertEquals("access:2 Srv_Features:192.0.2.7 s V", host.featuresRule());
    SessionPolicy byName = at(e, "192.0.2.7", "mx.broken.example.net");
    assertFalse(byName.offerTls(), "a name entry is looked up before addresses, as for Connect:");
    assertFalse(byName.requestClientCert());
    SessionPolicy other = at(e, "203.0.113.5", null);
    assertTrue(other.offerTls());
    assertFalse(other.requestClientCert());
    assertEquals("access:4 Srv_Features: V", other.featuresRule());
    assertEquals("S V (STARTTLS not offered, client certificate not requested) / access:3 Srv_Features:broken.example.net SV",
        e.serverFeatures("broken.example.net", "198.51.100.1"));
  }

  @Test
  void withoutAnEntryTheListenerDecides() throws Exception {
    SessionPolicy p = at(PolicyEngineTest.rules("Connect:192.0.2 OK\n"), "192.0.2.1", null);
    assertTrue(p.offerTls());
    assertTrue(p.requestClientCert());
    assertNull(p.featuresRule());
  }

  @Test
  void aRejectedClientGetsNoFeatures() throws Exception {
    SessionPolicy p = at(PolicyEngineTest.rules("Connect:192.0.2 REJECT\nSrv_Features:192.0.2 S\n"), "192.0.2.1", null);
    assertEquals(Decision.REJECT, p.decision());
    assertEquals("access:1 Connect:192.0.2 REJECT", p.rule());
  }

  @Test
  void sendmailsOtherLettersLoadWithAWarningNamingFileAndLine() throws Exception {
    PolicyModel m = PolicyModel.compile(List.of(new PolicyFile(PolicyFile.Kind.ACCESS_MAP, "/etc/mail/access",
        "# migrated\nSrv_Features:10.1 S A x\n")));
    assertEquals(List.of(
        "/etc/mail/access:2: Srv_Features: letter 'A' (AUTH offer) has no effect in Postern; ignored",
        "/etc/mail/access:2: Srv_Features: letter 'x' (EXPN) has no effect in Postern; ignored"), m.warnings());
    assertEquals(1, m.counts().get("Srv_Features"));
  }

  @Test
  void unknownOrContradictoryLettersAndRepeatsAreRefusedWithFileAndLine() {
    PolicyFileException e = assertThrows(PolicyFileException.class,
        () -> PolicyModel.compile(List.of(new PolicyFile(PolicyFile.Kind.ACCESS_MAP, "/etc/mail/access",
            "Srv_Features:10.1 S Q\nSrv_Features:10.2 S s\nSrv_Features:10.3 VV\nSrv_Features:10.3 V\n"
                + "Srv_Features: V\nSrv_Features: S\nSrv_Features:10.4 t\n"))));
    assertEquals(List.of(
        "/etc/mail/access:1: Srv_Features: unknown letter 'Q' in 'S Q' (S/s: STARTTLS offered, V/v: client certificate"
            + " requested; sendmail's A B C D E L P X are read and ignored)",
        "/etc/mail/access:2: Srv_Features: 's' given twice or both ways",
        "/etc/mail/access:3: Srv_Features: 'V' given twice or both ways",
        "/etc/mail/access:6: 'Srv_Features:' is already given at /etc/mail/access:5",
        "/etc/mail/access:7: Srv_Features: unknown letter 't' in 't' (S/s: STARTTLS offered, V/v: client certificate"
            + " requested; sendmail's A B C D E L P X are read and ignored)"), e.problems());
  }
}
