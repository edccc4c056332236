package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TlsFactsTest {

  @ParameterizedTest(name = "version=''{0}'' cipher=''{1}'' bits={2}/{3}")
  @CsvSource(nullValues = "null", value = {
      "'', TLS_AES_256_GCM_SHA384, 256, 256",
      "null, TLS_AES_256_GCM_SHA384, 256, 256",
      "TLSv1.3, '', 256, 256",
      "TLSv1.3, TLS_AES_256_GCM_SHA384, -1, 256",
      "TLSv1.3, TLS_AES_256_GCM_SHA384, 256, 128",
      "TLSv1.3, TLS_AES_256_GCM_SHA384, 2048, 2048"})
  void refusesImplausibleFacts(String version, String cipher, int cipherBits, int algBits) {
    assertThrows(IllegalArgumentException.class,
        () -> new TlsFacts(version, cipher, cipherBits, algBits, Verify.NO, null, null, null, null));
  }

  @Test
  void missingCertificateFieldsBecomeEmptyAndBitsReadLikeSendmail() {
    TlsFacts facts = new TlsFacts("TLSv1.2", "AES128-SHA", 128, 256, Verify.NOT, null, null, null, null);

    assertEquals("", facts.certSubject() + facts.certIssuer() + facts.cnSubject() + facts.cnIssuer());
    assertEquals("128/256", facts.bits());
  }

  @Test
  void refusesAMissingVerdict() {
    assertThrows(IllegalArgumentException.class,
        () -> new TlsFacts("TLSv1.3", "TLS_AES_128_GCM_SHA256", 128, 128, null, null, null, null, null));
  }
}
