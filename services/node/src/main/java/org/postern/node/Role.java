package org.postern.node;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The services a node can run. */
public enum Role {
  POLICY,
  QUEUE,
  OUTBOUND,
  INBOUND;

  /** Parses {@code inbound,policy,...}; an unknown name is an error naming it. */
  public static Set<Role> parse(String text) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String part : text.split(",")) {
      String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      try {
        roles.add(valueOf(p.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown role '" + p + "' (roles: inbound, policy, queue, outbound)");
      }
    }
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("no roles given");
    }
    return roles;
  }
}
