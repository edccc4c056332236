package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
