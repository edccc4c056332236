package org.postern.tls;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Signs and checks entries that nodes share through Hazelcast. Open-source Hazelcast neither
 * encrypts nor authenticates its members, so anything on its network can write a shared map; an
 * entry that can change a delivery decision (an MTA-STS policy) therefore carries a signature by
 * the writing node's event-bus key, with that node's certificate chain, and a reader accepts it
 * only when the chain leads to a CA of {@code cluster.bus_ca_file} and the signature holds.
 *
 * <p>The signature covers a context (the map's name) and the payload, so an entry cannot be moved
 * to another map. It does not stop a member with a valid certificate from replaying an older entry
 * it once saw: readers bound what they accept (an MTA-STS entry's own expiry).
 */
public final class EntrySeal {

  private static final int MAX_CHAIN = 4;

  private final PrivateKey key;
  private final List<X509Certificate> chain;
  private final Set<X509Certificate> cas;

  /**
   * @param node this node's event-bus certificate chain and key
   * @param cas the CAs of {@code cluster.bus_ca_file}
   */
  public EntrySeal(ServerCredentials node, Set<X509Certificate> cas) {
    this.key = node.privateKey();
    this.chain = List.copyOf(node.chain());
    this.cas = Set.copyOf(cas);
  }

  /** {@code payload} with this node's signature: a JSON text to store in the shared map. */
  public String seal(String context, String payload) {
    try {
      Signature s = Signature.getInstance(algorithm(key.getAlgorithm()));
      s.initSign(key);
      s.update(signed(context, payload));
      JsonArray certs = new JsonArray();
      for (X509Certificate c : chain.subList(0, Math.min(chain.size(), MAX_CHAIN))) {
        certs.add(Base64.getEncoder().encodeToString(c.getEncoded()));
      }
      return new JsonObject().put("payload", payload).put("chain", certs)
          .put("sig", Base64.getEncoder().encodeToString(s.sign())).encode();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a shared entry with the event-bus key: " + e.getMessage(), e);
    }
  }

  /** What a sealed entry says, once checked; the signer's certificate comes with it, for the log. */
  public record Opened(String payload, X509Certificate signer) {}

  /**
   * Checks {@code sealed}: a chain of at most four certificates, valid now, each signed by the
   * next and the last by a CA of the bus, and the signature by the first over context and payload.
   *
   * @throws GeneralSecurityException saying what failed
   */
  public Opened open(String context, String sealed) throws GeneralSecurityException {
    JsonObject o;
    String payload;
    List<X509Certificate> presented = new ArrayList<>();
    byte[] sig;
    try {
      o = new JsonObject(sealed);
      payload = o.getString("payload");
      JsonArray certs = o.getJsonArray("chain");
      if (payload == null || certs == null || certs.isEmpty() || certs.size() > MAX_CHAIN) {
        throw new GeneralSecurityException("not a signed entry");
      }
      CertificateFactory f = CertificateFactory.getInstance("X.509");
      for (Object c : certs) {
        presented.add((X509Certificate) f.generateCertificate(
            new ByteArrayInputStream(Base64.getDecoder().decode((String) c))));
      }
      sig = Base64.getDecoder().decode(o.getString("sig", ""));
    } catch (RuntimeException e) {
      throw new GeneralSecurityException("not a signed entry: " + e.getMessage(), e);
    }
    for (int i = 0; i < presented.size(); i++) {
      X509Certificate c = presented.get(i);
      c.checkValidity();
      PublicKey issuer = i + 1 < presented.size() ? presented.get(i + 1).getPublicKey() : caKey(c);
      c.verify(issuer);
    }
    X509Certificate signer = presented.get(0);
    Signature s = Signature.getInstance(algorithm(signer.getPublicKey().getAlgorithm()));
    s.initVerify(signer.getPublicKey());
    s.update(signed(context, payload));
    if (!s.verify(sig)) {
      throw new GeneralSecurityException("the signature of " + signer.getSubjectX500Principal().getName()
          + " does not match the entry");
    }
    return new Opened(payload, signer);
  }

  private PublicKey caKey(X509Certificate c) throws GeneralSecurityException {
    for (X509Certificate ca : cas) {
      if (ca.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
        try {
          c.verify(ca.getPublicKey());
          return ca.getPublicKey();
        } catch (GeneralSecurityException e) {
          // Same name, other key: try the next CA.
        }
      }
    }
    throw new GeneralSecurityException("the certificate " + c.getSubjectX500Principal().getName()
        + " is not signed by a CA of cluster.bus_ca_file");
  }

  private static byte[] signed(String context, String payload) {
    return (context + "\0" + payload).getBytes(StandardCharsets.UTF_8);
  }

  private static String algorithm(String keyAlgorithm) throws GeneralSecurityException {
    return switch (keyAlgorithm) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> throw new GeneralSecurityException("no signature for " + keyAlgorithm + " keys");
    };
  }
}
