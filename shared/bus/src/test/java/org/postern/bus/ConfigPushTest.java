package org.postern.bus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigPushTest {

  private static final String KEY = "0123456789abcdef";
  private static final String SIG = Base64.getEncoder().encodeToString(new byte[64]);
  private static final String REPLY = "postern.config.replies.123e4567-e89b-12d3-a456-426614174000";

  private static ConfigPush push(ConfigPush.Text settings, ConfigPush.Text access, ConfigPush.Text tls) {
    return new ConfigPush(7, KEY, 1_700_000_000_000L, settings, access, tls, SIG, REPLY);
  }

  private static ConfigPush.Text text(String name, String text) {
    return new ConfigPush.Text(name, text);
  }

  @Test
  void theCanonicalEncodingIsExactAndCoversEveryFieldButSignatureAndReplyAddress() {
    ConfigPush p = push(null, text("access", "Connect:127.0.0.1 REJECT\n"), null);
    String expected = "postern-config-push-v1\nversion 7\nauthor 0123456789abcdef\nissued 1700000000000\n"
        + "settings -\naccess 6:access 25:Connect:127.0.0.1 REJECT\n\ntls_policy -\n";
    assertEquals(expected, new String(p.canonical(), StandardCharsets.UTF_8));
    assertArrayEquals(p.canonical(), p.withSignature("").withReplyTo("").canonical());
    List<ConfigPush> changed = List.of(
        new ConfigPush(8, KEY, p.issuedAt(), null, p.accessMap(), null, SIG, REPLY),
        new ConfigPush(7, "fedcba9876543210", p.issuedAt(), null, p.accessMap(), null, SIG, REPLY),
        new ConfigPush(7, KEY, p.issuedAt() + 1, null, p.accessMap(), null, SIG, REPLY),
        // The same text in another slot, or split differently between name and text, encodes differently.
        push(null, null, text("access", "Connect:127.0.0.1 REJECT\n")),
        push(text("access", "Connect:127.0.0.1 REJECT\n"), null, null),
        push(null, text("access", "Connect:127.0.0.1 REJECT\n\n"), null),
        push(null, text("accessC", "onnect:127.0.0.1 REJECT\n"), null),
        push(null, text("access", ""), null),
        push(null, null, null),
        // --replace is signed: nobody can turn a push that keeps what it leaves out into one that drops it.
        new ConfigPush(7, KEY, p.issuedAt(), null, p.accessMap(), null, null, SIG, REPLY, true));
    for (ConfigPush other : changed) {
      assertFalse(Arrays.equals(p.canonical(), other.canonical()), other.toString());
    }
  }

  @Test
  void replaceIsEncodedOnlyWhenSetAndSurvivesTheWireFormat() {
    ConfigPush p = new ConfigPush(7, KEY, 1, null, null, null, null, SIG, REPLY, true);
    assertTrue(new String(p.canonical(), StandardCharsets.UTF_8).endsWith("tls_policy -\nreplace yes\n"));
    ConfigPush back = ConfigPush.fromJson(new JsonObject(p.toJson().encode()));
    assertTrue(back.replace());
    assertArrayEquals(p.canonical(), back.canonical());
    assertFalse(ConfigPush.fromJson(push(null, null, null).toJson()).replace());
    assertTrue(p.reissue(9, KEY, 2).replace(), "a rollback replaces what is in force");
  }

  @Test
  void lengthsAreInOctetsSoNonAsciiTextCannotShiftTheBoundaries() {
    ConfigPush p = push(null, text("access", "To:é@example.net REJECT"), null);
    assertTrue(new String(p.canonical(), StandardCharsets.UTF_8).contains("access 6:access 24:To:é@example.net REJECT\n"));
  }

  @Test
  void itSurvivesTheWireFormatWithTheSameCanonicalEncoding() {
    ConfigPush p = push(text("live.conf", "policy.relay_domains = example.net\n"), text("access", "x"), text("tls", "y"));
    ConfigPush back = ConfigPush.CODEC.roundTrip(p);
    assertEquals(p, back);
    assertArrayEquals(p.canonical(), back.canonical());
    ConfigPushResult r = new ConfigPushResult("node-a", ConfigPushResult.Outcome.REFUSED, 3, KEY, 5,
        List.of("access:3: bad line"));
    assertEquals(r, ConfigPushResult.CODEC.roundTrip(r));
    ConfigShow s = new ConfigShow(REPLY);
    assertEquals(s, ConfigShow.CODEC.roundTrip(s));
  }

  @Test
  void malformedBundlesAreRefusedWhenBuiltOrDecoded() {
    assertThrows(IllegalArgumentException.class, () -> new ConfigPush(0, KEY, 0, null, null, null, "", ""));
    assertThrows(IllegalArgumentException.class, () -> new ConfigPush(1, "ABCDEF0123456789", 0, null, null, null, "", ""));
    assertThrows(IllegalArgumentException.class, () -> new ConfigPush(1, KEY, -1, null, null, null, "", ""));
    IllegalArgumentException shortSig = assertThrows(IllegalArgumentException.class, () -> new ConfigPush(1, KEY, 0,
        null, null, null, Base64.getEncoder().encodeToString(new byte[63]), ""));
    assertTrue(shortSig.getMessage().contains("64 octets"), shortSig.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ConfigPush(1, KEY, 0, null, null, null, "not base64!", ""));
    assertThrows(IllegalArgumentException.class, () -> new ConfigPush(1, KEY, 0, null, null, null, "", "postern.queue.enqueue"));
    assertThrows(IllegalArgumentException.class, () -> text("../../etc/passwd", "x"));
    assertThrows(IllegalArgumentException.class, () -> text("a:3", "x"));
    String big = "x".repeat(ConfigPush.MAX_TEXT / 2 + 1);
    assertThrows(IllegalArgumentException.class, () -> push(null, text("a", big), text("b", big)));
    JsonObject missing = push(null, null, null).toJson();
    missing.remove("author");
    assertThrows(IllegalArgumentException.class, () -> ConfigPush.fromJson(missing));
    assertThrows(IllegalArgumentException.class, () -> new ConfigPushResult("n", ConfigPushResult.Outcome.REFUSED, 1, "",
        0, List.of()), "a refusal needs its reason");
    assertThrows(IllegalArgumentException.class, () -> new ConfigShow("postern.config.push.v1"));
  }

  @Test
  void anUnsignedBundleSaysSo() {
    assertFalse(new ConfigPush(1, KEY, 0, null, null, null, null, null).signed());
    assertTrue(push(null, null, null).signed());
  }

  private static ConfigPush withTls(ConfigPush.TlsFiles tls) {
    return new ConfigPush(7, KEY, 1_700_000_000_000L, null, null, null, tls, SIG, REPLY);
  }

  @Test
  void certificatesAreSignedWithTheirKeyByDigestSoAStoredCopyWithoutKeysStillEncodesAlike() {
    ConfigPush.Certificate cert = new ConfigPush.Certificate("mail.pem", "CHAIN\n", "KEY\n");
    ConfigPush p = withTls(new ConfigPush.TlsFiles(List.of(cert), text("ca.pem", "CA\n"), null));
    String canonical = new String(p.canonical(), StandardCharsets.UTF_8);
    assertTrue(canonical.endsWith("tls_policy -\ncertificates 1\ncertificate 8:mail.pem 6:CHAIN\n\n"
        + "key_sha256 " + cert.keySha256() + "\nca_file 6:ca.pem 3:CA\n\ncrl_file -\n"), canonical);
    assertFalse(canonical.contains("KEY"), "the key itself is not in the signed octets, only its digest");
    ConfigPush stored = p.withoutKeys();
    assertEquals("", stored.tls().certificates().get(0).key());
    assertArrayEquals(p.canonical(), stored.canonical());
    assertArrayEquals(stored.canonical(), ConfigPush.fromJson(stored.toJson()).canonical());
    assertFalse(stored.toJson().encode().contains("KEY\\n"), stored.toJson().encode());
    assertEquals(p, ConfigPush.fromJson(p.toJson()));
    // Another key, another chain or another CA file is another bundle.
    for (ConfigPush.TlsFiles other : List.of(
        new ConfigPush.TlsFiles(List.of(new ConfigPush.Certificate("mail.pem", "CHAIN\n", "KEY2\n")), text("ca.pem", "CA\n"), null),
        new ConfigPush.TlsFiles(List.of(new ConfigPush.Certificate("mail.pem", "CHAIN2\n", "KEY\n")), text("ca.pem", "CA\n"), null),
        new ConfigPush.TlsFiles(List.of(cert), null, text("ca.pem", "CA\n")))) {
      assertFalse(Arrays.equals(p.canonical(), withTls(other).canonical()), other.toString());
    }
    assertFalse(cert.toString().contains("KEY"), "toString never shows key material: " + cert);
  }

  @Test
  void aKeyThatDoesNotHaveTheStatedDigestOrTlsFilesWithNothingInThemAreRefused() {
    String other = new ConfigPush.Certificate("a.pem", "C", "OTHER").keySha256();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ConfigPush.Certificate("mail.pem", "CHAIN", "KEY", other));
    assertEquals("mail.pem: the key does not have the SHA-256 the bundle states", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ConfigPush.Certificate("mail.pem", "CHAIN", "", null));
    assertThrows(IllegalArgumentException.class, () -> new ConfigPush.Certificate("../x", "CHAIN", "KEY"));
    assertThrows(IllegalArgumentException.class, () -> new ConfigPush.TlsFiles(List.of(), null, null));
    ConfigPush.Certificate c = new ConfigPush.Certificate("a.pem", "C", "K");
    assertThrows(IllegalArgumentException.class, () -> new ConfigPush.TlsFiles(List.of(c, c), null, null));
  }
}
