<?php
// What WordPress's importer (wordpress-importer, WP_Import::process_posts) does with each
// item of a WXR file, run on a real WordPress: its duplicate check, post_exists($title, '',
// $post_date, $post_type), then wp_insert_post. Both are WordPress core's own; the plugin's
// loop around them is written out here, as the plugin is not packaged. Prints JSON: the
// items skipped as already there, and the posts the database then holds.
// Usage: php import_posts.php CONFIG.php FILE.wxr [FILE.wxr ...]   (CONFIG defines DB_* and
// ABSPATH): the files are imported one after the other into one site, as a later export is
// imported into the site an earlier one made.
error_reporting(E_ERROR);
$_SERVER['HTTP_HOST'] = 'localhost';
$_SERVER['SERVER_NAME'] = 'localhost';
$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
require $argv[1];
require_once ABSPATH . 'wp-settings.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/post.php';
if (!is_blog_installed()) {
    wp_install('Import test', 'admin', 'admin@example.org', false, '', 'unused-password');
}
global $wpdb;
$wpdb->query("DELETE FROM {$wpdb->posts}");  // the sample post and page WordPress starts with
wp_set_current_user(1);
$skipped = array();
foreach (array_slice($argv, 2) as $file) {
    $xml = simplexml_load_file($file);
    $ns = $xml->getNamespaces(true);
    foreach ($xml->channel->item as $item) {
        $wp = $item->children($ns['wp']);
        $post = array(
            'post_title' => (string) $item->title,
            'post_date' => (string) $wp->post_date,
            'post_date_gmt' => (string) $wp->post_date_gmt,
            'post_type' => (string) $wp->post_type,
            'post_status' => (string) $wp->status,
            'post_name' => (string) $wp->post_name,
            'post_content' => (string) $item->children($ns['content'])->encoded,
        );
        $exists = post_exists($post['post_title'], '', $post['post_date'], $post['post_type']);
        if ($exists && get_post_type($exists) == $post['post_type']) {
            $skipped[] = array('title' => $post['post_title'], 'date' => $post['post_date'],
                               'type' => $post['post_type']);
            continue;
        }
        $id = wp_insert_post(wp_slash($post), true);
        if (is_wp_error($id)) {
            fwrite(STDERR, 'failed: ' . $id->get_error_message() . "\n");
            exit(1);
        }
    }
}
$posts = $wpdb->get_results(
    "SELECT post_type AS type, post_title AS title, post_date AS date FROM {$wpdb->posts} ORDER BY ID",
    ARRAY_A);
echo json_encode(array('skipped' => $skipped, 'posts' => $posts));
