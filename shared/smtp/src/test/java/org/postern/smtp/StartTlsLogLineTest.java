package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** sendmail's STARTTLS log line, which existing log parsers read field by field. */
class StartTlsLogLineTest {

  static final TlsFacts TLS12 = new TlsFacts("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", 128, 128, Verify.OK,
      "CN=mx.example.net", "CN=Example CA", "mx.example.net", "Example CA");

  @ParameterizedTest(name = "{4}")
  @CsvSource(delimiter = '|', nullValues = "null", value = {
      "SERVER | null         | 127.0.0.1 | TLS13 | STARTTLS=server, relay=[127.0.0.1], version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
      "SERVER | ''           | 127.0.0.1 | TLS13 | STARTTLS=server, relay=[127.0.0.1], version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
      "SERVER | host.example | 127.0.0.1 | TLS13 | STARTTLS=server, relay=host.example [127.0.0.1], version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256",
      "CLIENT | mx.example.net | 2001:db8::25 | TLS12 | STARTTLS=client, relay=mx.example.net [2001:db8::25], version=TLSv1.2, verify=OK, cipher=ECDHE-RSA-AES128-GCM-SHA256, bits=128/128"})
  void format(StartTlsLogLine.Role role, String name, String ip, String facts, String expected) {
    TlsFacts tls = facts.equals("TLS13") ? Dialogue.TLS13 : TLS12;

    assertEquals(expected, StartTlsLogLine.format(role, name, ip, tls));
  }

  @Test
  void certificateNamesAsSendmailWritesThem() {
    TlsFacts tls = new TlsFacts("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", 128, 128, Verify.OK,
        "CN=desktop.example.net,O=Postern tests,C=US", "CN=Example Mail CA (2026),O=Postern tests,C=US",
        "desktop.example.net", "Example Mail CA (2026)");
    assertEquals("STARTTLS=server, cert-subject=/C=US/O=Postern+20tests/CN=desktop.example.net,"
        + " cert-issuer=/C=US/O=Postern+20tests/CN=Example+20Mail+20CA+20+282026+29",
        StartTlsLogLine.certificate(StartTlsLogLine.Role.SERVER, tls));
    assertNull(StartTlsLogLine.certificate(StartTlsLogLine.Role.CLIENT, Dialogue.TLS13), "no certificate, no line");
  }

  @Test
  void namesWithOidsEscapesAndSeveralValues() {
    assertEquals("/C=US/O=A,B+2BC/emailAddress=postmaster@example.net+CN=x",
        CertificateDn.sendmail("CN=x+1.2.840.113549.1.9.1=#1616706f73746d6173746572406578616d706c652e6e6574,"
            + "O=A\\,B\\+C,C=US"));
    assertEquals("", CertificateDn.sendmail(""));
    assertEquals("", CertificateDn.sendmail("not a dn"));
  }

  @Test
  void aStartTlsStepWithoutASession() {
    assertEquals("STARTTLS=client, relay=mx.example.net[192.0.2.1]:25, verify=TEMP, reply=454 4.7.0 later",
        StartTlsLogLine.failure(StartTlsLogLine.Role.CLIENT, "mx.example.net[192.0.2.1]:25", Verify.TEMP,
            "reply=454 4.7.0 later"));
  }
}
