/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the gpuhook.conf parser (lib/conf.c). Accepted values
 * stay within their documented bounds; a refusal is one "file:line: ..."
 * line; nothing leaks on either path. */
#include <stdint.h>

#include "conf.h"
#include "log.h"
#include "validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        log_setup("gpuhook-fuzz", false);
        log_set_level(LOG_ERR);
        return 0;
}

static void check(bool ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "invariant broken: %s\n", what);
                __builtin_trap();
        }
}

static bool abs_path_ok(const char *p) {
        if (!p)
                return true;
        if (p[0] != '/' || strlen(p) > 512)
                return false;
        for (const char *s = p; (s = strstr(s, "..")); s += 2)
                if (s[-1] == '/' && (s[2] == '/' || s[2] == 0))
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct gpuhook_config c;
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;

        log_failure_clear();
        config_init_defaults(&c);
        int r = config_parse_text(&c, "fuzz.conf", text);
        if (r < 0) {
                const char *f = log_failure();
                check(r == -ENOMEM || (f && strstr(f, "fuzz.conf:")), "a refusal without file:line");
                check(!f || !strchr(f, '\n'), "a message of more than one line");
        } else {
                check(log_failure() == NULL, "a message recorded on success");
                check(c.placement == PLACEMENT_COMPACT || c.placement == PLACEMENT_SPREAD, "placement");
                check(c.lock_timeout_ms >= 1000 && c.lock_timeout_ms <= 3600u * 1000, "lock_timeout bounds");
                check(c.create_timeout_ms >= 1000 && c.create_timeout_ms <= 600u * 1000, "create_timeout bounds");
                check(c.remove_timeout_ms >= 1000 && c.remove_timeout_ms <= 600u * 1000, "remove_timeout bounds");
                check(c.bind_timeout_ms >= 1000 && c.bind_timeout_ms <= 600u * 1000, "bind_timeout bounds");
                check(c.max_xml_bytes >= 4096 && c.max_xml_bytes <= (size_t)1 << 30, "max_xml_kib bounds");
                check(abs_path_ok(c.state_dir), "state_dir not absolute or with '..'");
                check(abs_path_ok(c.mdevctl_path), "mdevctl not absolute or with '..'");
                for (size_t i = 0; i < c.n_allow_devices; i++)
                        check(pci_addr_valid(c.allow_devices[i]), "allow_devices entry not canonical");
        }
        config_done(&c);
        free(text);
        log_failure_clear();
        return 0;
}
