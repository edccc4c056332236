package org.postern.node.push;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Map;
import org.postern.bus.ConfigPush;

/** Signs a {@link ConfigPush}'s canonical encoding, and checks such a signature against trusted keys. */
public final class PushSignature {

  private PushSignature() {}

  /** The push, signed; its author must be the id of {@code key}'s public half. */
  public static ConfigPush sign(ConfigPush unsigned, PrivateKey key) {
    try {
      Signature s = Signature.getInstance(OperatorKeys.ALGORITHM);
      s.initSign(key);
      s.update(unsigned.canonical());
      return unsigned.withSignature(Base64.getEncoder().encodeToString(s.sign()));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
    }
  }

  /**
   * Why a push must be refused for its signature, or null when it verifies against the trusted
   * key its author names.
   */
  public static String problem(ConfigPush push, Map<String, PublicKey> trusted) {
    if (!push.signed()) {
      return "unsigned push (claims key " + push.author() + "); only pushes signed by a key in"
          + " cluster.operator_keys are applied";
    }
    PublicKey key = trusted.get(push.author());
    if (key == null) {
      return "signed by key " + push.author() + ", which is not in cluster.operator_keys"
          + (trusted.isEmpty() ? " (no operator key is trusted on this node)" : "");
    }
    try {
      Signature s = Signature.getInstance(OperatorKeys.ALGORITHM);
      s.initVerify(key);
      s.update(push.canonical());
      if (s.verify(Base64.getDecoder().decode(push.signature()))) {
        return null;
      }
    } catch (GeneralSecurityException e) {
      // A malformed signature is a bad signature.
    }
    return "bad signature for key " + push.author() + ": the bundle was altered or signed by another key";
  }
}
