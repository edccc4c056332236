package org.postern.config;

import java.util.function.Function;

/**
 * One configuration key: its name (prefixed by the service that reads it), default, parser and
 * documentation. The parser throws {@link IllegalArgumentException} with a message an operator can
 * act on; the loader adds the file, line and key.
 */
public record Setting<T>(String key, String defaultValue, Function<String, T> parser, String doc) {

  public T parse(String text) {
    return parser.apply(text.strip());
  }

  public T parseDefault() {
    return parse(defaultValue);
  }
}
