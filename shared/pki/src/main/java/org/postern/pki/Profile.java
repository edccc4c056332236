package org.postern.pki;

import java.security.PublicKey;
import java.util.Locale;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * What a certificate is for, and so its key usages and extended key usages.
 *
 * <ul>
 *   <li>{@code CA}: basicConstraints CA:true, path length 0 (it signs leaves only), keyCertSign and
 *       cRLSign.
 *   <li>{@code SERVER}: digitalSignature (plus keyEncipherment for RSA, which TLS 1.2 RSA key
 *       exchange would need and some verifiers still expect), serverAuth and clientAuth: an MTA
 *       shows the same certificate when it receives and when it sends (seed 003: "the same
 *       certificates both as a client and as a server"), and a receiver that asks for a client
 *       certificate refuses one restricted to serverAuth.
 *   <li>{@code CLIENT}: digitalSignature, clientAuth: a mail client or a relaying MTA
 *       authenticating with its certificate.
 *   <li>{@code NODE}: a cluster node, which is both server and client of its peers on the event
 *       bus: the server's usages, serverAuth and clientAuth (the same as {@code SERVER}; the name
 *       records what it is for).
 *   <li>{@code SELF_SIGNED}: the seeds' quick path, a self-signed leaf usable as server and client.
 * </ul>
 */
public enum Profile {
  CA, SERVER, CLIENT, NODE, SELF_SIGNED;

  /** Leaf profiles by the names the command line uses: server, client, node. */
  public static Profile leaf(String name) throws PkiException {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "server" -> SERVER;
      case "client" -> CLIENT;
      case "node" -> NODE;
      default -> throw new PkiException("unknown certificate profile '" + name + "' (use server, client or node)");
    };
  }

  BasicConstraints basicConstraints() {
    return this == CA ? new BasicConstraints(0) : new BasicConstraints(false);
  }

  KeyUsage keyUsage(PublicKey key) {
    if (this == CA) {
      return new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign);
    }
    boolean rsa = key.getAlgorithm().equals("RSA");
    return new KeyUsage(this != CLIENT && rsa ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
        : KeyUsage.digitalSignature);
  }

  /** The extended key usage, or null for the CA (which carries none, so it is not restricted). */
  ExtendedKeyUsage extendedKeyUsage() {
    return switch (this) {
      case CA -> null;
      case CLIENT -> new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth);
      case SERVER, NODE, SELF_SIGNED -> new ExtendedKeyUsage(
          new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
    };
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
