package org.postern.node.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.bus.ConfigPush;
import org.postern.config.ConfigException;
import org.postern.tls.KeyFiles;

class PushSignatureTest {

  @TempDir
  Path dir;

  private static ConfigPush bundle(String author, String access) {
    return new ConfigPush(3, author, 1_700_000_000_000L, null, new ConfigPush.Text("access", access), null, "", "");
  }

  @Test
  void keygenWritesAPrivateKeyOnlyItsOwnerCanReadAndNamesTheKeyById() throws Exception {
    Path keys = dir.resolve("ops");
    PublicKey pub = OperatorKeys.generate(keys, "alice");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.resolve("alice.key"))));
    assertTrue(Files.readString(keys.resolve("alice.pub")).startsWith("-----BEGIN PUBLIC KEY-----\n"));
    assertEquals(pub, OperatorKeys.readPublic(keys.resolve("alice.pub")));
    assertTrue(OperatorKeys.id(pub).matches("[0-9a-f]{16}"));
    assertThrows(java.io.IOException.class, () -> OperatorKeys.generate(keys, "alice"), "never overwrites a key");
    Files.setPosixFilePermissions(keys.resolve("alice.key"), PosixFilePermissions.fromString("rw-r--r--"));
    assertThrows(KeyFiles.InsecureKeyFileException.class, () -> OperatorKeys.readPrivate(keys.resolve("alice.key")));
  }

  @Test
  void aSignedBundleVerifiesAndAnyChangeOrOtherKeyBreaksIt() throws Exception {
    PublicKey alicePub = OperatorKeys.generate(dir, "alice");
    PrivateKey alice = OperatorKeys.readPrivate(dir.resolve("alice.key"));
    PublicKey malloryPub = OperatorKeys.generate(dir, "mallory");
    PrivateKey mallory = OperatorKeys.readPrivate(dir.resolve("mallory.key"));
    String aliceId = OperatorKeys.id(alicePub);
    Map<String, PublicKey> trusted = Map.of(aliceId, alicePub);

    ConfigPush good = PushSignature.sign(bundle(aliceId, "Connect:127.0.0.1 REJECT\n"), alice);
    assertNull(PushSignature.problem(good, trusted));
    assertNull(PushSignature.problem(good.withReplyTo("postern.config.replies.123e4567-e89b-12d3-a456-426614174000"),
        trusted), "the reply address is routing, not content");

    ConfigPush altered = new ConfigPush(good.version(), aliceId, good.issuedAt(), null,
        new ConfigPush.Text("access", "Connect:127.0.0.1 OK\n"), null, good.signature(), "");
    assertTrue(PushSignature.problem(altered, trusted).startsWith("bad signature for key " + aliceId), "altered text");
    ConfigPush replayed = new ConfigPush(good.version() + 1, aliceId, good.issuedAt(), null, good.accessMap(), null,
        good.signature(), "");
    assertTrue(PushSignature.problem(replayed, trusted).startsWith("bad signature"), "a new version needs a new signature");

    ConfigPush forged = PushSignature.sign(bundle(aliceId, "Connect:127.0.0.1 OK\n"), mallory);
    assertTrue(PushSignature.problem(forged, trusted).startsWith("bad signature for key " + aliceId), "claims alice");
    String malloryId = OperatorKeys.id(malloryPub);
    ConfigPush own = PushSignature.sign(bundle(malloryId, "x"), mallory);
    assertEquals("signed by key " + malloryId + ", which is not in cluster.operator_keys",
        PushSignature.problem(own, trusted));
    assertTrue(PushSignature.problem(bundle(aliceId, "x"), trusted).startsWith("unsigned push (claims key " + aliceId));
    ConfigPush zeros = bundle(aliceId, "x").withSignature(Base64.getEncoder().encodeToString(new byte[64]));
    assertTrue(PushSignature.problem(zeros, trusted).startsWith("bad signature"));
    assertTrue(PushSignature.problem(good, Map.of()).contains("no operator key is trusted on this node"));
  }

  @Test
  void trustedKeysComeFromFilesAndPatternsAndAMissingOneNamesTheSetting() throws Exception {
    PublicKey a = OperatorKeys.generate(dir.resolve("ops"), "a");
    PublicKey b = OperatorKeys.generate(dir.resolve("ops"), "b");
    Map<String, PublicKey> all = OperatorKeys.trusted(List.of(dir.resolve("ops/*.pub").toString()));
    assertEquals(List.of(OperatorKeys.id(a), OperatorKeys.id(b)), List.copyOf(all.keySet()));
    assertEquals(1, OperatorKeys.trusted(List.of(dir.resolve("ops/b.pub").toString())).size());
    ConfigException none = assertThrows(ConfigException.class,
        () -> OperatorKeys.trusted(List.of(dir.resolve("ops/*.pem").toString())));
    assertEquals("cluster.operator_keys: " + dir.resolve("ops/*.pem") + ": matches no file", none.getMessage());
    ConfigException missing = assertThrows(ConfigException.class,
        () -> OperatorKeys.trusted(List.of(dir.resolve("ops/c.pub").toString())));
    assertEquals("cluster.operator_keys: " + dir.resolve("ops/c.pub") + ": no such file", missing.getMessage());
    ConfigException notAKey = assertThrows(ConfigException.class,
        () -> OperatorKeys.trusted(List.of(dir.resolve("ops/a.key").toString())));
    assertTrue(notAKey.getMessage().contains("no PEM PUBLIC KEY found"), notAKey.getMessage());
  }
}
