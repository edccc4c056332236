package org.postern.outbound.sts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The policy body and TXT record parsers (RFC 8461 §3.1, §3.2) and MX matching (§4.1), without sockets. */
class StsPolicyTest {

  @Test
  void parsesAnEnforcePolicyWithCrlfAndLfLinesAndIgnoresUnknownKeys() {
    StsPolicy p = StsPolicy.parse("version: STSv1\r\nmode: enforce\nmx: mail.example.com\r\n"
        + "mx: *.Example.NET.\nfuture_key: whatever\nmax_age: 604800\r\n");
    assertEquals(StsPolicy.Mode.ENFORCE, p.mode());
    assertEquals(List.of("mail.example.com", "*.example.net"), p.mx());
    assertEquals(Duration.ofDays(7), p.maxAge());
  }

  @Test
  void modeNoneNeedsNoMx() {
    StsPolicy p = StsPolicy.parse("version: STSv1\nmode: none\nmax_age: 0\n");
    assertEquals(StsPolicy.Mode.NONE, p.mode());
    assertEquals(Duration.ZERO, p.maxAge());
  }

  @Test
  void maxAgeIsCutToTheRfcsLimit() {
    StsPolicy p = StsPolicy.parse("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 9999999999\n");
    assertEquals(StsPolicy.MAX_AGE, p.maxAge());
  }

  @Test
  void theFirstOccurrenceOfASingleKeyCounts() {
    StsPolicy p = StsPolicy.parse("version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 60\n");
    assertEquals(StsPolicy.Mode.TESTING, p.mode());
  }

  @Test
  void refusesWhatIsNotAPolicy() {
    String[] bad = {
        "",
        "mode: enforce\nmx: a.example\nmax_age: 60\n", // no version
        "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 60\n",
        "version: STSv1\nmode: enforced\nmx: a.example\nmax_age: 60\n",
        "version: STSv1\nmode: enforce\nmax_age: 60\n", // no mx
        "version: STSv1\nmode: enforce\nmx: a.example\n", // no max_age
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n",
        "version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 60\n",
        "version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 60\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\njunk without colon\n",
        "<html><body>not found</body></html>",
    };
    for (String body : bad) {
      assertThrows(IllegalArgumentException.class, () -> StsPolicy.parse(body), body);
    }
  }

  @Test
  void aWildcardStandsForExactlyTheLeftmostLabel() {
    StsPolicy p = StsPolicy.parse("version: STSv1\nmode: enforce\nmx: *.example.net\nmx: mail.example.com\n"
        + "max_age: 60\n");
    assertTrue(p.matches("mx1.example.net"));
    assertTrue(p.matches("MX1.Example.Net."));
    assertTrue(p.matches("mail.example.com"));
    assertFalse(p.matches("example.net"), "the wildcard needs a label");
    assertFalse(p.matches("a.b.example.net"), "the wildcard is one label only");
    assertFalse(p.matches("xexample.net"));
    assertFalse(p.matches("mail.example.com.evil.test"));
    assertFalse(p.matches("other.example.com"));
  }

  @Test
  void readsTheIdOfTheOneStsRecord() {
    assertEquals(Optional.of("20160831085700Z"), StsRecord.id(List.of("v=STSv1; id=20160831085700Z;")));
    assertEquals(Optional.of("abc123"), StsRecord.id(List.of("v=spf1 -all", "v=STSv1;id=abc123")));
  }

  @Test
  void twoStsRecordsOrABadIdMeanNoPolicy() {
    assertEquals(Optional.empty(), StsRecord.id(List.of()));
    assertEquals(Optional.empty(), StsRecord.id(List.of("v=STSv1; id=a", "v=STSv1; id=b")));
    assertEquals(Optional.empty(), StsRecord.id(List.of("v=STSv1;")));
    assertEquals(Optional.empty(), StsRecord.id(List.of("v=STSv1; id=has-dash")));
    assertEquals(Optional.empty(), StsRecord.id(List.of("v=STSv1; id=" + "x".repeat(33))));
    assertEquals(Optional.empty(), StsRecord.id(List.of("v=STSv10; id=a")));
  }

  @Test
  void aCachedPolicyRoundTripsAndAForgedExpiryIsRefused() {
    StsPolicy p = StsPolicy.parse("version: STSv1\nmode: enforce\nmx: *.example.net\nmax_age: 3600\n");
    CachedPolicy c = CachedPolicy.fetched("example.net", "id1", p, 1_000_000L);
    assertEquals(c, CachedPolicy.decode(c.encode()));
    String forged = c.encode().replace("\"expires\":" + c.expiresAt(), "\"expires\":" + (c.expiresAt() + 1));
    assertThrows(IllegalArgumentException.class, () -> CachedPolicy.decode(forged));
    assertThrows(IllegalArgumentException.class, () -> CachedPolicy.decode("{\"domain\":\"x\"}"));
  }

  @Test
  void aRefreshIsDueInTheLastQuarterOfMaxAge() {
    StsPolicy p = StsPolicy.parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 400\n");
    CachedPolicy c = CachedPolicy.fetched("example.net", "id1", p, 0);
    assertFalse(c.refreshDueAt(299_999));
    assertTrue(c.refreshDueAt(300_001));
    assertTrue(c.validAt(399_999));
    assertFalse(c.validAt(400_000));
  }
}
