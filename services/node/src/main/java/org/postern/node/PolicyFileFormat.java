package org.postern.node;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.postern.policy.PolicyFile;

/**
 * Which of the two map languages a policy file is written in, for {@code postern policy check}
 * when neither {@code --format} nor the configuration says. Each entry votes by its own shape:
 * an access-map key is {@code Tag:key} (a word and a colon, whatever the word), a TLS-policy key
 * is a domain, {@code .domain} or {@code [host]:port}. The majority decides, so one bad line,
 * first or not, cannot turn every other line's error into nonsense; and the lines that vote
 * against the majority are named, so their errors read right.
 *
 * @param kind the language the file is read in
 * @param access how many entries look like access-map entries
 * @param policy how many look like TLS-policy-map entries
 * @param votes each line's language, null for a blank or comment line
 */
record PolicyFileFormat(PolicyFile.Kind kind, int access, int policy, List<PolicyFile.Kind> votes) {

  /** A tag: letters, digits and underscores before the first colon, as in {@code TLS_Srv:} or {@code Connect:}. */
  private static final Pattern TAGGED = Pattern.compile("[A-Za-z][A-Za-z0-9_]*:.*");

  static PolicyFileFormat of(String text) {
    String[] lines = text.split("\r?\n", -1);
    List<PolicyFile.Kind> votes = new ArrayList<>();
    int access = 0;
    int policy = 0;
    for (String line : lines) {
      PolicyFile.Kind vote = vote(line);
      votes.add(vote);
      if (vote == PolicyFile.Kind.ACCESS_MAP) {
        access++;
      } else if (vote == PolicyFile.Kind.TLS_POLICY_MAP) {
        policy++;
      }
    }
    // A tie (an empty file included) reads as an access map, the language most entries are in.
    PolicyFile.Kind kind = policy > access ? PolicyFile.Kind.TLS_POLICY_MAP : PolicyFile.Kind.ACCESS_MAP;
    return new PolicyFileFormat(kind, access, policy, java.util.Collections.unmodifiableList(votes));
  }

  /** The 1-based numbers of the entries that look like the other language than {@code read}. */
  List<Integer> linesNotIn(PolicyFile.Kind read) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < votes.size(); i++) {
      if (votes.get(i) != null && votes.get(i) != read) {
        out.add(i + 1);
      }
    }
    return out;
  }

  /** The language one line's key is written in, or null for a blank or comment line. */
  private static PolicyFile.Kind vote(String line) {
    int hash = line.indexOf('#');
    String content = (hash >= 0 ? line.substring(0, hash) : line).strip();
    if (content.isEmpty()) {
      return null;
    }
    String key = content.split("\\s+", 2)[0];
    return TAGGED.matcher(key).matches() ? PolicyFile.Kind.ACCESS_MAP : PolicyFile.Kind.TLS_POLICY_MAP;
  }

  static String describe(PolicyFile.Kind kind) {
    return kind == PolicyFile.Kind.ACCESS_MAP ? "access map" : "TLS policy map";
  }

  static String withArticle(PolicyFile.Kind kind) {
    return (kind == PolicyFile.Kind.ACCESS_MAP ? "an " : "a ") + describe(kind);
  }
}
