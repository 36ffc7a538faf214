/*
 * home_roles.c - the home page's switchable-roles section until switch role lands (switchrole.h): a heading and a
 * link to the switch role form. Engineer "switch" replaces this file.
 */
#include "console/page.h"
#include "console/switchrole.h"

void switchrole_home_section(struct console_req *cr)
{
	buf_puts(cr->html, "<h2 id=\"switchable-roles-heading\">Roles</h2>\n"
	                   "<p>No roles yet. <a href=\"/console/switchrole\">Switch role</a></p>\n");
}
