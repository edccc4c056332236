package org.postern.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.postern.node.migrate.ImportResult;
import org.postern.node.migrate.ImportWriter;
import org.postern.node.migrate.InputException;
import org.postern.node.migrate.PostfixImport;
import org.postern.node.migrate.SendmailImport;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code postern config import}: a Postfix main.cf, or a sendmail .mc with its access map, to
 * postern.conf and policy files. Runs offline; no node is involved. Exit 0 done, 1 an input file
 * is unreadable or malformed (file:line: cause), 2 usage (options, or outputs that exist).
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = {"Convert a Postfix main.cf (or postconf -n output) or a sendmail .mc file and its access map"
        + " into postern.conf and policy files in DIR.",
        "Every parameter not carried over is named on stderr and in DIR/import-report.txt, with the reason."})
final class ImportCommand implements Callable<Integer> {

  static final class Source {
    @Option(names = "--postfix", paramLabel = "MAIN_CF", required = true,
        description = "A Postfix main.cf, or the output of postconf -n.")
    Path postfix;

    @Option(names = "--sendmail", paramLabel = "MC", required = true, description = "A sendmail .mc file.")
    Path sendmail;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--access", paramLabel = "FILE",
      description = "With --sendmail: the access map's text (/etc/mail/access, before makemap).")
  Path access;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Directory for the files written.")
  Path out;

  @Option(names = "--force", description = "Overwrite files that exist in DIR.")
  boolean force;

  @Override
  public Integer call() {
    ImportResult result;
    String from;
    try {
      if (source.postfix != null) {
        if (access != null) {
          System.err.println("postern config import: --access goes with --sendmail (Postfix tables are read from main.cf)");
          return 2;
        }
        from = source.postfix.toString();
        result = PostfixImport.convert(source.postfix, out);
      } else {
        from = source.sendmail + (access == null ? "" : " and " + access);
        result = SendmailImport.convert(source.sendmail, access, out);
      }
    } catch (InputException e) {
      System.err.println("postern config import: " + e.getMessage());
      return 1;
    }
    List<Path> targets = ImportWriter.targets(result, out);
    if (!force) {
      for (Path t : targets) {
        if (Files.exists(t)) {
          System.err.println("postern config import: " + t + " exists; nothing written (--force overwrites)");
          return 2;
        }
      }
    }
    try {
      ImportWriter.write(result, out, from);
    } catch (IOException e) {
      System.err.println("postern config import: cannot write in " + out + ": " + e.getMessage());
      return 1;
    }
    for (ImportResult.Dropped d : result.dropped()) {
      System.err.println("postern config import: " + d.where() + ": " + d.name() + ": "
          + (d.needed() ? "not carried over: " : "not needed: ") + d.reason());
    }
    long left = result.dropped().stream().filter(ImportResult.Dropped::needed).count();
    for (Path t : targets) {
      System.out.println("wrote " + t);
    }
    System.out.println(result.settings().size() + " settings; " + left + " parameters not carried over, "
        + (result.dropped().size() - left) + " not needed (see " + out.resolve(ImportWriter.REPORT) + ")");
    return 0;
  }
}
