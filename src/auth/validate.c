/* validate — see validate.h. */
#include "auth/validate.h"

#include "store/store.h"

#include <ctype.h>
#include <string.h>

static bool is_local_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '\'' || c == '+' || c == '-' || c == '.';
}

bool validate_email(const char *email)
{
	size_t len = strlen(email);
	if (len == 0 || len > GH_EMAIL_MAX)
		return false;
	const char *at = strchr(email, '@');
	if (!at || at == email || strchr(at + 1, '@'))
		return false;
	/* local part: no leading dot, no "..", last char not a dot */
	if (email[0] == '.' || at[-1] == '.')
		return false;
	for (const char *p = email; p < at; p++) {
		if (!is_local_char((unsigned char)*p))
			return false;
		if (p[0] == '.' && p[1] == '.')
			return false;
	}
	/* domain: labels of [A-Za-z0-9-], not starting with '-', a TLD of >= 2 letters */
	const char *d = at + 1;
	int labels = 0;
	while (*d) {
		const char *start = d;
		if (*d == '-')
			return false;
		while (*d && *d != '.') {
			if (!isalnum((unsigned char)*d) && *d != '-')
				return false;
			d++;
		}
		if (d == start)
			return false;
		labels++;
		if (!*d) {
			if (labels < 2 || d - start < 2)
				return false;
			for (const char *t = start; t < d; t++)
				if (!isalpha((unsigned char)*t))
					return false;
			return true;
		}
		d++; /* skip '.' */
		if (!*d)
			return false;
	}
	return false;
}

bool normalize_email(const char *in, char out[GH_EMAIL_MAX + 1])
{
	size_t n = strlen(in);
	if (n > GH_EMAIL_MAX)
		return false;
	memcpy(out, in, n + 1);
	lowercase_ascii(out);
	return validate_email(out);
}

bool validate_username(const char *u, int status, struct gh_error *err)
{
	size_t len = strlen(u);
	if (len < 3)
		return error_set(err, status, "USERNAME_TOO_SHORT", "Username is too short");
	if (len > GH_USERNAME_MAX)
		return error_set(err, status, "USERNAME_TOO_LONG", "Username is too long");
	for (const char *p = u; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
			return error_set(err, status, "INVALID_USERNAME", "Username is invalid");
	return true;
}

bool validate_text_field(const char *v, int max_bytes, bool allow_empty)
{
	size_t len = strlen(v);
	if ((!allow_empty && len == 0) || len > (size_t)max_bytes)
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

void lowercase_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}
