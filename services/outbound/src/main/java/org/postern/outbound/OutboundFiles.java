package org.postern.outbound;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.postern.config.OutboundConfig;
import org.postern.config.TlsConfig;
import org.postern.tls.CaCertificates;
import org.postern.tls.ClientTls;
import org.postern.tls.KeyFiles;
import org.postern.tls.PeerVerification;

/**
 * What outbound reads from disk at start, on a worker thread: the CAs that verify next hops, our
 * client certificate and key, and the relayhost credentials. A file that is missing, unreadable
 * or exposed (a key or password file readable by others) stops the start with a message naming
 * the setting and the file.
 *
 * @param notes what was loaded, for the log
 */
record OutboundFiles(ClientSSLOptions tlsOptions, PeerVerification verification, RelayCredentials credentials,
    List<String> notes) {

  static OutboundFiles load(OutboundConfig config, TlsConfig tls) {
    List<String> notes = new ArrayList<>();
    PeerVerification verification;
    try {
      Set<X509Certificate> cas = CaCertificates.load(config.tlsCaFile(), "outbound.tls_ca_file",
          config.tlsCaPath(), "outbound.tls_ca_path");
      if (cas.isEmpty()) {
        verification = PeerVerification.jdkDefault();
      } else {
        verification = PeerVerification.trusting(cas);
        notes.add("outbound: next-hop certificates verify against " + cas.size() + " CA(s) from "
            + String.join(" and ", nonEmpty(config.tlsCaFile(), config.tlsCaPath())));
      }
      if (!tls.crlFile().isEmpty()) {
        // sendmail's CRLFile judges both directions: a revoked next hop is verify=FAIL.
        verification = verification.withCrls(Path.of(tls.crlFile()));
        notes.add("outbound: next-hop certificates are checked against " + verification.crlCount() + " CRL(s) from "
            + tls.crlFile() + " (tls.crl_file)");
      }
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    ClientSSLOptions options = ClientTls.opportunistic(tls.protocols(), config.starttlsTimeout());
    if (!config.tlsCertChain().isEmpty()) {
      options.setKeyCertOptions(clientCertificate(config.tlsCertChain(), config.tlsKey()));
      notes.add("outbound: client certificate " + config.tlsCertChain() + " shown to next hops that ask");
    }
    RelayCredentials credentials = RelayCredentials.load(config.relayCredentials());
    return new OutboundFiles(options, verification, credentials, notes);
  }

  private static PemKeyCertOptions clientCertificate(String chain, String key) {
    try {
      KeyFiles.checkPermissions(Path.of(key));
      return new PemKeyCertOptions()
          .addCertValue(Buffer.buffer(read(chain, "outbound.tls_cert_chain")))
          .addKeyValue(Buffer.buffer(read(key, "outbound.tls_key")));
    } catch (IOException e) {
      throw new IllegalStateException("outbound.tls_key: " + e.getMessage(), e);
    }
  }

  private static byte[] read(String file, String key) {
    try {
      return Files.readAllBytes(Path.of(file));
    } catch (IOException e) {
      throw new IllegalStateException(key + ": cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static List<String> nonEmpty(String... s) {
    return List.of(s).stream().filter(x -> !x.isEmpty()).toList();
  }
}
