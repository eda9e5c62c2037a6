/**
 * features.conf of a running Recall: loaded at start, reloaded on `features reload`,
 * shown by `features show`. A file that fails to load keeps what was loaded before.
 */
import type { Logger } from "../../core/logger.js";
import { formatDiagnostic } from "../../conf/tokenizer.js";
import { DEFAULT_FEATURES, loadFeatures, showFeatures, type FeaturesConfig } from "../../calls/features.js";
import type { CommandTable } from "../../core/commands.js";

export class FeaturesService {
  private config: FeaturesConfig = DEFAULT_FEATURES;

  constructor(private readonly configDir: string, private readonly logger: Logger) {
    this.load();
  }

  /** The features in force now (the call layer asks at each use, so a reload applies to the next press). */
  current = (): FeaturesConfig => this.config;

  load(): string {
    try {
      const { config, warnings } = loadFeatures(this.configDir);
      for (const w of warnings) this.logger.log("WARNING", "features_config.c", formatDiagnostic(w));
      this.config = config;
      return "features.conf reloaded\n";
    } catch (e) {
      this.logger.log("ERROR", "features_config.c", (e as Error).message);
      return `features.conf not reloaded: ${(e as Error).message}\n`;
    }
  }

  registerCommands(table: CommandTable): void {
    table.register("features show", "Lists configured features", () => showFeatures(this.config));
    table.register("features reload", "Reload features.conf", () => this.load());
  }
}
