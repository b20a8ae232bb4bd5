// compose-check loads docker-compose.yml with compose-go, the library `docker compose` itself uses:
// interpolation, the compose-spec schema, merges and references (depends_on, secrets, volumes) are
// checked as `docker compose config` would, without a Docker engine. .ci/run runs it.
//
//	go run ./deploy/tools/compose-check docker-compose.yml
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	file := "docker-compose.yml"
	if len(os.Args) > 1 {
		file = os.Args[1]
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		fail(err)
	}
	opts, err := cli.NewProjectOptions(
		[]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithOsEnv,
		cli.WithName("lead-case-engine"),
		// Secret files are written by deploy/compose/init-secrets.sh on the host; CI has none.
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s: %d services, %d secrets, %d volumes: valid\n", file, len(project.Services), len(project.Secrets), len(project.Volumes))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compose-check:", err)
	os.Exit(1)
}
