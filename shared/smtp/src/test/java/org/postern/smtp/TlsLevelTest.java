package org.postern.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The order of levels is what policy decisions rest on, so it is pinned here. */
class TlsLevelTest {

  @ParameterizedTest(name = "{0} atLeast {1} = {2}")
  @CsvSource({
      "SECURE, VERIFY, true",
      "VERIFY, DANE, true",
      "DANE, ENCRYPT, true",
      "DANE_ONLY, DANE, true",
      "VERIFY, DANE_ONLY, true",
      "DANE_ONLY, VERIFY, false",
      "DANE, DANE_ONLY, false",
      "ENCRYPT, MAY, true",
      "MAY, NONE, true",
      "VERIFY, VERIFY, true",
      "ENCRYPT, VERIFY, false",
      "DANE, VERIFY, false",
      "MAY, ENCRYPT, false",
      "NONE, MAY, false"})
  void atLeast(TlsLevel level, TlsLevel other, boolean expected) {
    assertEquals(expected, level.atLeast(other));
  }

  @ParameterizedTest(name = "{0} mandatory = {1}")
  @CsvSource({"NONE, false", "MAY, false", "ENCRYPT, true", "DANE, false", "DANE_ONLY, true",
      "VERIFY, true", "SECURE, true"})
  void mandatory(TlsLevel level, boolean expected) {
    assertEquals(expected, level.mandatory());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(TlsLevel.class)
  void configNameParsesBack(TlsLevel level) {
    assertEquals(level, TlsLevel.parse(" " + level.configName() + " "));
    assertEquals(level.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'), level.configName());
  }

  @ParameterizedTest(name = "''{0}''")
  @CsvSource({"optional", "''", "encrypted", "dane_only", "dane-"})
  void refusesUnknownNames(String name) {
    assertThrows(IllegalArgumentException.class, () -> TlsLevel.parse(name));
  }
}
