package org.postern.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.TestCa;

/** Signed entries of shared maps: what a node of the bus CA signed opens, nothing else does. */
class EntrySealTest {

  @TempDir
  Path dir;

  private TestCa busCa;
  private EntrySeal node;

  @BeforeEach
  void setUp() throws Exception {
    busCa = TestCa.create(dir, "Bus CA");
    node = seal(busCa, "node1.test", busCa);
  }

  private static EntrySeal seal(TestCa issuer, String cn, TestCa trusted) throws Exception {
    TestCa.Issued cert = issuer.issueNode(cn);
    return new EntrySeal(ServerCredentials.load(cert.chain(), cert.key(), cn), Set.of(trusted.certificate()));
  }

  @Test
  void anotherNodeOfTheSameCaOpensWhatOneSigned() throws Exception {
    EntrySeal other = seal(busCa, "node2.test", busCa);
    EntrySeal.Opened opened = other.open("map", node.seal("map", "{\"a\":1}"));
    assertEquals("{\"a\":1}", opened.payload());
    assertEquals("CN=node1.test", opened.signer().getSubjectX500Principal().getName().split(",")[0]);
  }

  @Test
  void aChangedPayloadOrAnotherMapIsRefused() {
    String sealed = node.seal("map", "{\"mode\":\"enforce\"}");
    String changed = new JsonObject(sealed).put("payload", "{\"mode\":\"none\"}").encode();
    assertThrows(GeneralSecurityException.class, () -> node.open("map", changed));
    assertThrows(GeneralSecurityException.class, () -> node.open("other-map", sealed));
  }

  @Test
  void aMemberWithACertificateOfAnotherCaIsRefused() throws Exception {
    TestCa otherCa = TestCa.create(dir, "Other CA");
    EntrySeal rogue = seal(otherCa, "rogue.test", otherCa);
    GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
        () -> node.open("map", rogue.seal("map", "{}")));
    assertEquals(true, e.getMessage().contains("not signed by a CA of cluster.bus_ca_file"), e.getMessage());
  }

  @Test
  void anUnsignedOrMalformedEntryIsRefused() {
    assertThrows(GeneralSecurityException.class, () -> node.open("map", "{\"domain\":\"x\"}"));
    assertThrows(GeneralSecurityException.class, () -> node.open("map", "not json"));
    assertThrows(GeneralSecurityException.class, () -> node.open("map",
        "{\"payload\":\"{}\",\"chain\":[\"AAAA\"],\"sig\":\"AAAA\"}"));
  }
}
