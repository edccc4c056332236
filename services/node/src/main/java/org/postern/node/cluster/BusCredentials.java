package org.postern.node.cluster;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import org.postern.config.ClusterConfig;
import org.postern.config.ConfigException;
import org.postern.config.Settings;
import org.postern.tls.CaCertificates;
import org.postern.tls.Fingerprints;
import org.postern.tls.ServerCredentials;

/**
 * The node certificate, key and CA of the event bus, read and checked once at start (blocking: run
 * before any event loop serves traffic). The PEM text handed to Vert.x is the text that was
 * checked, so a file swapped after the check is never used.
 *
 * @param credentials the node certificate chain and its key
 * @param caPem the CA bundle that node certificates must chain to, as read
 * @param cas the certificates of {@code caPem}
 */
public record BusCredentials(ServerCredentials credentials, String caPem, Set<X509Certificate> cas) {

  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  /**
   * Loads {@code cluster.bus_*}. A problem is a configuration error naming the key: missing or
   * unreadable files, a key readable by others, a key that does not match, a certificate without
   * both serverAuth and clientAuth, a certificate not signed by the CA.
   */
  public static BusCredentials load(ClusterConfig cluster) throws ConfigException {
    ServerCredentials creds;
    try {
      creds = ServerCredentials.load(Path.of(cluster.busCertChain()), Path.of(cluster.busKey()), "cluster.bus_cert_chain");
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(Settings.CLUSTER_BUS_CERT_CHAIN.key() + ", " + Settings.CLUSTER_BUS_KEY.key() + ": "
          + e.getMessage());
    }
    Set<X509Certificate> cas;
    String caPem;
    try {
      cas = CaCertificates.load(cluster.busCaFile(), Settings.CLUSTER_BUS_CA_FILE.key(), "", "");
      caPem = java.nio.file.Files.readString(Path.of(cluster.busCaFile()), java.nio.charset.StandardCharsets.ISO_8859_1);
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(Settings.CLUSTER_BUS_CA_FILE.key() + ": " + e.getMessage());
    }
    if (cas.isEmpty()) {
      throw new ConfigException(Settings.CLUSTER_BUS_CA_FILE.key() + ": " + cluster.busCaFile() + " holds no certificate");
    }
    checkUsage(creds.leaf());
    checkIssuedBy(creds, cas);
    return new BusCredentials(creds, caPem, Set.copyOf(cas));
  }

  /** A node accepts and opens connections, so its one certificate must serve both ends. */
  private static void checkUsage(X509Certificate leaf) throws ConfigException {
    List<String> eku;
    try {
      eku = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw new ConfigException(Settings.CLUSTER_BUS_CERT_CHAIN.key() + ": cannot read the extended key usage: "
          + e.getMessage());
    }
    if (eku != null && !(eku.contains(SERVER_AUTH) && eku.contains(CLIENT_AUTH))) {
      throw new ConfigException(Settings.CLUSTER_BUS_CERT_CHAIN.key() + ": the certificate "
          + leaf.getSubjectX500Principal().getName() + " must allow both serverAuth and clientAuth (it allows "
          + eku + "); issue it with 'postern pki issue node'");
    }
  }

  /**
   * Catches the certificate of one cluster paired with the CA of another at start, rather than as
   * handshake failures in the log of every peer.
   */
  private static void checkIssuedBy(ServerCredentials creds, Set<X509Certificate> cas) throws ConfigException {
    List<X509Certificate> chain = creds.chain();
    X509Certificate top = chain.get(chain.size() - 1);
    for (X509Certificate ca : cas) {
      for (X509Certificate c : List.of(chain.get(0), top)) {
        try {
          if (c.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
            c.verify(ca.getPublicKey());
            return;
          }
        } catch (java.security.GeneralSecurityException e) {
          // Same name, other key: try the next CA.
        }
      }
    }
    throw new ConfigException(Settings.CLUSTER_BUS_CERT_CHAIN.key() + ": the certificate "
        + creds.leaf().getSubjectX500Principal().getName() + " is not signed by a CA in "
        + Settings.CLUSTER_BUS_CA_FILE.key() + "; other nodes would refuse it");
  }

  public PemKeyCertOptions keyCertOptions() {
    return new PemKeyCertOptions().addCertValue(Buffer.buffer(credentials.chainPem()))
        .addKeyValue(Buffer.buffer(credentials.keyPem()));
  }

  public PemTrustOptions trustOptions() {
    return new PemTrustOptions().addCertValue(Buffer.buffer(caPem));
  }

  /** For the start log. */
  public String describe() {
    return "node certificate " + credentials.leaf().getSubjectX500Principal().getName() + ", SHA-256 "
        + Fingerprints.sha256(credentials.leaf());
  }

  /** Never prints key material. */
  @Override
  public String toString() {
    return "BusCredentials[" + describe() + "]";
  }
}
