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

  /**
   * In a cluster the queue hands each body to the outbound verticle of its own node, by reference,
   * so that no body crosses the network whole (see deploy/README.md, "How bodies travel"): a queue
   * role without the outbound role is refused, naming both.
   */
  public static void checkCluster(Set<Role> roles) {
    if (roles.contains(QUEUE) && !roles.contains(OUTBOUND)) {
      throw new IllegalArgumentException("in a cluster the queue role needs the outbound role on the same node"
          + " (the queue hands message bodies to its own node's outbound): add outbound to --roles");
    }
  }
}
