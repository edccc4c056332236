package org.postern.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.postern.smtp.TlsLevel;

/**
 * Levels dane and dane-only in the Postfix-style policy table: policy carries them to outbound,
 * which decides per MX host; after the STARTTLS step, policy holds plaintext against dane-only only.
 */
class DaneLevelsTest {

  @Test
  void theTableReadsBothLevels() {
    assertEquals(TlsLevel.DANE, TlsPolicyMap.parse("dane").level());
    assertEquals(TlsLevel.DANE_ONLY, TlsPolicyMap.parse("dane-only").level());
    assertEquals("dane-only", TlsPolicyMap.parse("DANE-ONLY").levelName());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TlsPolicyMap.parse("dane match=mx.example.net"));
    assertEquals("match= applies to verify, secure and fingerprint only, not dane", e.getMessage());
  }

  @Test
  void plaintextIsForDaneToAllowAndForDaneOnlyToRefuse() {
    // dane is may towards a server without usable TLSA records: outbound has decided that already.
    assertNull(new DestinationRule(TlsLevel.DANE, false, List.of()).check(null, null, List.of(), "example.net",
        "mx.example.net"));
    assertEquals("450 4.7.4 TLS is required, but was not offered by host mx.example.net",
        new DestinationRule(TlsLevel.DANE_ONLY, false, List.of()).check(null, null, List.of(), "example.net",
            "mx.example.net").toString());
  }
}
