package org.postern.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import org.postern.tls.Fingerprints;
import org.postern.tls.ServerCredentials;

/**
 * Watches the server certificates' expiry: every certificate of every configured chain within
 * {@code tls.expiry_warning_days} of its end is logged as a warning, an expired one as an error
 * (it is still served: opportunistic TLS with an expired certificate beats plaintext, but
 * verifying peers refuse it). Both are exported as metrics:
 *
 * <ul>
 *   <li>{@code postern_tls_certificate_not_after_seconds}: the end of validity, Unix time;
 *   <li>{@code postern_tls_certificate_expiring}: 1 when within the warning window or expired.
 * </ul>
 *
 * Labelled by {@code source} (the setting and file) and {@code subject}. CPU only: safe on an
 * event loop.
 */
final class CertificateExpiry {

  private static final Logger LOG = Logger.getLogger("postern.tls");

  private final int warningDays;
  private final Clock clock;
  private final MultiGauge notAfter;
  private final MultiGauge expiring;

  CertificateExpiry(MeterRegistry registry, int warningDays, Clock clock) {
    this.warningDays = warningDays;
    this.clock = clock;
    this.notAfter = MultiGauge.builder("postern.tls.certificate.not.after").baseUnit("seconds")
        .description("End of validity of a served certificate (Unix time)").register(registry);
    this.expiring = MultiGauge.builder("postern.tls.certificate.expiring")
        .description("1 when a served certificate is within tls.expiry_warning_days of expiry, or expired")
        .register(registry);
  }

  /** Logs what is expired or about to expire, and replaces the gauges' rows with these certificates. */
  void check(List<ServerCredentials> credentials) {
    Instant now = clock.instant();
    List<MultiGauge.Row<?>> ends = new ArrayList<>();
    List<MultiGauge.Row<?>> flags = new ArrayList<>();
    for (ServerCredentials creds : credentials) {
      for (X509Certificate cert : creds.chain()) {
        Instant end = cert.getNotAfter().toInstant();
        Tags tags = Tags.of("source", creds.source(), "subject", cert.getSubjectX500Principal().getName());
        boolean soon = !now.plus(Duration.ofDays(warningDays)).isBefore(end);
        ends.add(MultiGauge.Row.of(tags, end.getEpochSecond()));
        flags.add(MultiGauge.Row.of(tags, soon ? 1 : 0));
        String what = cert == creds.leaf() ? "server certificate" : "chain certificate";
        String id = cert.getSubjectX500Principal().getName() + " from " + creds.source() + ", SHA-256 "
            + Fingerprints.sha256(cert);
        if (now.isAfter(end)) {
          LOG.severe(what + " EXPIRED on " + end + " (" + Duration.between(end, now).toDays() + " days ago): " + id
              + "; it is still served, since opportunistic TLS beats plaintext, but verifying peers refuse it:"
              + " renew it now");
        } else if (soon) {
          LOG.warning(what + " expires in " + Duration.between(now, end).toDays() + " days, on " + end + ": " + id
              + " (warning window tls.expiry_warning_days = " + warningDays + ")");
        }
      }
    }
    notAfter.register(ends, true);
    expiring.register(flags, true);
  }
}
